"""The sitemap's sections (django.contrib.sitemaps): pages, live articles, tag pages."""

from datetime import timedelta

from django.contrib.sitemaps import Sitemap
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .models import Article, RegionTag, TopicTag
from .rendering import text_lang

SITE_NAME = "Newsroom"


class PagesSitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.6

    def items(self):
        return ["home", "headline-archive"]

    def location(self, item):
        return reverse(item)


class ArticleSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return (
            Article.objects.live()
            .only("slug", "published_at", "updated_at")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, obj):
        return obj.updated_at


class RegionSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self):
        return RegionTag.objects.order_by("name")


class TopicSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self):
        return TopicTag.objects.order_by("name")


SITEMAPS = {
    "pages": PagesSitemap,
    "articles": ArticleSitemap,
    "regions": RegionSitemap,
    "topics": TopicSitemap,
}


NEWS_DAYS = 2
NEWS_MAX_URLS = 1000  # Google News reads at most 1,000 URLs a sitemap


def news_sitemap(request):
    """``/sitemap-news.xml``: live articles of the last two days, for Google News.

    Dated as readers see them (the outlet's date when known), so that the
    sitemap, the page and its JSON-LD agree.
    """
    cutoff = timezone.now() - timedelta(days=NEWS_DAYS)
    recent = Q(outlet_published_at__gte=cutoff) | Q(
        outlet_published_at__isnull=True, published_at__gte=cutoff
    )
    articles = list(
        Article.objects.live()
        .filter(recent)
        .only("slug", "title", "body", "published_at", "outlet_published_at", "outlet_date_only")
        .order_by("-published_at", "-pk")[:NEWS_MAX_URLS]
    )
    for article in articles:
        article.language = text_lang(f"{article.title} {article.body[:200]}") or "en"
    context = {"articles": articles, "site_name": SITE_NAME}
    return render(request, "sitemap-news.xml", context, content_type="application/xml")
