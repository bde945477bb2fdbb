"""Reader pages for our own articles.

The sidebar comes from the headlines layer through its inclusion tag in the
templates, never from here. Caching is added by the top layer
(``newsroom.urls``), which wraps these views.
"""

from django.db.models import Value
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers

from .models import Article, RegionTag, TopicTag

HOME_ARTICLES = 20
SITE_NAME = "Newsroom"


def home(request):
    articles = (
        Article.objects.live()
        .select_related("source")
        .prefetch_related("region_tags")
        .order_by("-published_at", "-pk")[:HOME_ARTICLES]
    )
    return render(request, "articles/home.html", {"articles": articles})


def article_detail(request, slug):
    """The article. Drafts and scheduled ones: 404, except a preview for editors."""
    article = get_object_or_404(Article.objects.select_related("source"), slug=slug)
    preview = not article.is_live
    if preview and not request.user.has_perm("articles.view_article"):
        raise Http404("No article here.")
    regions, topics = article_tags(article)
    return article_page(request, article, regions=regions, topics=topics, preview=preview)


def article_page(request, article, *, regions, topics, preview, unsaved=False):
    """The public article template for ``article`` (saved or not: the desk's preview)."""
    canonical = request.build_absolute_uri(article.get_absolute_url())
    image = request.build_absolute_uri(article.share_image_url) if article.lead_image else ""
    context = {
        "article": article,
        "preview": preview or unsaved,
        "unsaved": unsaved,
        "regions": regions,
        "topics": topics,
        "canonical_url": canonical,
        "image_url": image,
        "structured_data": article_json_ld(article, url=canonical, image=image),
    }
    response = render(request, "articles/article_detail.html", context)
    if preview or unsaved:
        add_never_cache_headers(response)
    return response


def article_tags(article):
    """``(regions, topics)`` of an article, sorted by name, in one query (a UNION)."""
    fields = ("pk", "name", "slug")
    regions = (
        RegionTag.objects.filter(article_items__content_object=article)
        .order_by()
        .values_list(*fields, Value("region"))
    )
    topics = (
        TopicTag.objects.filter(article_items__content_object=article)
        .order_by()
        .values_list(*fields, Value("topic"))
    )
    found = {"region": [], "topic": []}
    models = {"region": RegionTag, "topic": TopicTag}
    for pk, name, slug, kind in regions.union(topics, all=True):
        found[kind].append(models[kind](pk=pk, name=name, slug=slug))
    return tuple(
        sorted(found[kind], key=lambda tag: tag.name.casefold()) for kind in ("region", "topic")
    )


def article_json_ld(article, *, url, image=""):
    """schema.org NewsArticle data; the template escapes it for a <script> element."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "url": url,
        "mainEntityOfPage": url,
        "publisher": {"@type": "Organization", "name": SITE_NAME},
    }
    if article.dek:
        data["description"] = article.dek + ("…" if article.dek_truncated else "")
    if article.published_at:
        data["datePublished"] = article.published_at.isoformat()
    if article.updated_at:
        data["dateModified"] = article.updated_at.isoformat()
    if image:
        data["image"] = [image]
    if article.source:
        data["sourceOrganization"] = {"@type": "Organization", "name": article.source.name}
    return data
