"""The site's URLs. The public pages are wrapped in the page cache here, at the
top layer, so that the apps' views need not import it."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.http import Http404
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from django.views.static import serve

from articles.feeds import LatestArticlesFeed
from articles.sitemaps import SITEMAPS, news_sitemap
from headlines.feeds import LatestHeadlinesFeed, RegionFeed, TopicFeed

from .cache import page_number, public_page, public_urls

# The query parameters each public page reads (views and templates); the page
# cache keys on these alone and the view sees no other. Pages not named read none.
CURSORS = ("before", "after")
HEADLINES_PARAMS = {
    "headline-archive": ("source", "region", "topic", "date", "stories", *CURSORS),
    "region-detail": (*CURSORS, "articles_before", "articles_after"),
    "topic-detail": (*CURSORS, "articles_before", "articles_after"),
    "source-detail": (*CURSORS, "articles_before", "articles_after"),
    "story-detail": CURSORS,
    "search": ("q",),
}

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include(public_urls("headlines.urls", params=HEADLINES_PARAMS))),
    # Home and article pages list our articles only (their sidebar is cached apart).
    path("", include(public_urls("articles.urls", lists=("content",)))),
    path(
        "feeds/articles/",
        public_page(LatestArticlesFeed(), lists=("content",)),
        name="feed-articles",
    ),
    path("feeds/headlines/", public_page(LatestHeadlinesFeed()), name="feed-headlines"),
    path("feeds/regions/<slug:slug>/", public_page(RegionFeed()), name="feed-region"),
    path("feeds/topics/<slug:slug>/", public_page(TopicFeed()), name="feed-topic"),
    path(
        "sitemap.xml",
        public_page(sitemap, params={"p": page_number}),
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("sitemap-news.xml", public_page(news_sitemap), name="sitemap-news"),
    path(
        "robots.txt",
        public_page(TemplateView.as_view(template_name="robots.txt", content_type="text/plain")),
        name="robots-txt",
    ),
]


def media(request, path):
    """Uploaded files from MEDIA_ROOT, when this process is to serve them (SERVE_MEDIA).

    Settings are read per request, not at import, so a test can switch them.
    """
    if not settings.SERVE_MEDIA:
        raise Http404("Media are served by the web server here.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", media, name="media"))

# 404 and 500 pages: Django's default handlers render templates/404.html and
# templates/500.html (the latter with no context, so it needs no database).
handler404 = "django.views.defaults.page_not_found"
handler500 = "django.views.defaults.server_error"
