"""The sitemap's sections (django.contrib.sitemaps): pages, live articles, tag pages."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Article, RegionTag, TopicTag


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
