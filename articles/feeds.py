"""RSS of our own articles (django.contrib.syndication)."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.html import escape

from .models import Article

FEED_ITEMS = 30


def article_description(article):
    """The dek as HTML (RSS descriptions are HTML): escaped, with its cut mark."""
    if not article.dek:
        return ""
    return escape(article.dek + ("…" if article.dek_truncated else ""))


class LatestArticlesFeed(Feed):
    title = "Newsroom: latest articles"
    link = reverse_lazy("home")
    description = "The latest articles published on the site."

    def items(self):
        return (
            Article.objects.live()
            .select_related("source")
            .prefetch_related("region_tags", "topic_tags")
            .order_by("-published_at", "-pk")[:FEED_ITEMS]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return article_description(item)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.source.name if item.source else None

    def item_categories(self, item):
        return [tag.name for tag in item.region_tags.all()] + [
            tag.name for tag in item.topic_tags.all()
        ]
