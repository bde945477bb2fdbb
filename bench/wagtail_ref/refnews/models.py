"""The reference site's content, the Wagtail tutorial's way.

``ArticlePage``: title, a publish time, an intro, a RichTextField body and
tags (ClusterTaggableManager through ``ArticlePageTag``), under an
``ArticleIndexPage`` at /articles/. ``Headline``: a snippet, the sidebar's rows.
"""

from django.db import models
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet


class ArticleIndexPage(Page):
    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["refnews.ArticlePage"]


class ArticlePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "refnews.ArticlePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ArticlePage(Page):
    published_at = models.DateTimeField("published")
    intro = models.CharField(max_length=400, blank=True)
    body = RichTextField(blank=True)
    tags = ClusterTaggableManager(through=ArticlePageTag, blank=True)

    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    content_panels = [
        *Page.content_panels,
        FieldPanel("published_at"),
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("tags"),
    ]
    parent_page_types = ["refnews.ArticleIndexPage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["tags"] = list(self.tags.all())  # the meta tags and the list: one query
        return context


@register_snippet
class Headline(models.Model):
    title = models.CharField(max_length=500)
    url = models.URLField(max_length=1000)
    source_name = models.CharField(max_length=200, blank=True)
    region = models.CharField(max_length=40, blank=True)
    summary = models.TextField(blank=True)
    published_at = models.DateTimeField(db_index=True)

    panels = [
        FieldPanel("title"),
        FieldPanel("url"),
        FieldPanel("source_name"),
        FieldPanel("region"),
        FieldPanel("summary"),
        FieldPanel("published_at"),
    ]

    class Meta:
        ordering = ["-published_at"]

    def __str__(self):
        return self.title
