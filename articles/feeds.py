"""RSS of our own articles (django.contrib.syndication)."""

import re

from django.contrib.syndication.views import Feed
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.feedgenerator import Rss201rev2Feed, Stylesheet
from django.utils.html import escape

from .models import Article

FEED_ITEMS = 30

# What XML 1.0 cannot carry: C0 controls but tab, LF and CR; lone surrogates; U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value):
    """Strings (alone or in a list) with XML-illegal characters turned into spaces."""
    if isinstance(value, str):
        return _NOT_XML.sub(" ", value)
    if isinstance(value, list | tuple):
        return type(value)(xml_safe(item) for item in value)
    return value


class XmlSafeRssFeed(Rss201rev2Feed):
    """RSS 2.0 that never fails on stored text: one control character in an old
    title used to take the whole feed down (Django refuses to write it)."""

    # application/xml, not application/rss+xml: a browser renders only the former
    # (through the feed's XSL, as a page); feed readers take either.
    content_type = "application/xml; charset=utf-8"

    def __init__(self, *args, **kwargs):
        super().__init__(*xml_safe(args), **{name: xml_safe(v) for name, v in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*xml_safe(args), **{name: xml_safe(v) for name, v in kwargs.items()})


def feed_stylesheets():
    """The XSL that shows a feed opened in a browser as a page (same origin: CSP allows it)."""
    return [Stylesheet(static("feeds/rss.xsl"), mimetype="text/xsl")]


def article_description(article):
    """The dek as HTML (RSS descriptions are HTML): escaped, with its cut mark."""
    if not article.dek:
        return ""
    return escape(article.dek + ("…" if article.dek_truncated else ""))


class LatestArticlesFeed(Feed):
    feed_type = XmlSafeRssFeed
    title = "Newsroom: latest articles"
    link = reverse_lazy("home")
    description = "The latest articles published on the site."

    def stylesheets(self):
        return feed_stylesheets()

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
        return item.shown_date[0]

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.source.name if item.source else None

    def item_categories(self, item):
        return [tag.name for tag in item.region_tags.all()] + [
            tag.name for tag in item.topic_tags.all()
        ]
