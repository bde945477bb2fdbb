"""RSS of headlines, and of everything with one region or topic (django.contrib.syndication).

Titles are plain text (the feed generator escapes them for XML);
descriptions are HTML, so dump text is HTML-escaped before it goes in.
"""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.html import escape

from articles.feeds import XmlSafeRssFeed, article_description, feed_stylesheets
from articles.models import Article, RegionTag, TopicTag

from . import selectors
from .rendering import http_url

SITE_NAME = "Newsroom"
FEED_ITEMS = 50


def headline_description(headline):
    text = headline.summary + ("…" if headline.summary and headline.summary_truncated else "")
    parts = [escape(text)] if text else []
    if headline.credit:
        parts.append(escape(headline.credit))
    return "<br>".join(parts)


def headline_link(headline):
    """Our live article on it, else its story page (every outlet's copy), else the
    outlet's page, else its place in the archive."""
    if headline.article_slug:
        return reverse("article-detail", kwargs={"slug": headline.article_slug})
    if headline.story_id:
        return reverse("story-detail", args=[headline.story_id])
    return http_url(headline.url) or headline.get_absolute_url()


class MixedItemsFeed(Feed):
    """A feed whose items are articles, headlines or both."""

    feed_type = XmlSafeRssFeed

    def stylesheets(self, obj=None):
        return feed_stylesheets()

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        if isinstance(item, Article):
            return article_description(item)
        return headline_description(item)

    def item_link(self, item):
        if isinstance(item, Article):
            return item.get_absolute_url()
        return headline_link(item)

    def item_guid(self, item):
        kind = "article" if isinstance(item, Article) else "headline"
        return f"{SITE_NAME.lower()}:{kind}:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_author_name(self, item):
        return item.source.name if item.source else None


class LatestHeadlinesFeed(MixedItemsFeed):
    title = f"{SITE_NAME}: latest headlines"
    link = reverse_lazy("headline-archive")
    description = "The latest headlines from other outlets."

    def items(self):
        return selectors.public_headlines().order_by(*selectors.LIST_ORDER)[:FEED_ITEMS]


class TagFeed(MixedItemsFeed):
    """Articles and headlines with one tag, newest first."""

    model = None

    def get_object(self, request, slug):
        return get_object_or_404(self.model, slug=slug)

    def title(self, obj):
        return f"{SITE_NAME}: {obj.name}"

    def link(self, obj):
        return obj.get_absolute_url()

    def description(self, obj):
        return f"Articles and headlines about {obj.name}."

    def items(self, obj):
        articles = selectors.tag_articles(obj).items
        headlines = selectors.tag_headlines(obj).items
        items = sorted(articles + headlines, key=lambda item: item.published_at, reverse=True)
        return items[:FEED_ITEMS]


class RegionFeed(TagFeed):
    model = RegionTag


class TopicFeed(TagFeed):
    model = TopicTag
