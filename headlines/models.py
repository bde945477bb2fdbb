"""Headlines aggregated from other outlets, and where each was seen."""

import hashlib
import re
import unicodedata
from datetime import UTC

from django.db import models
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager
from taggit.models import ItemBase

from articles.models import Article, Dump, KeyedTagManager, RegionTag, Source, TopicTag

_QUOTES = str.maketrans(dict.fromkeys('‘’‚‛′`´“”„‟″«»‹›"', "'"))
_DASHES = re.compile(r"[\u2010-\u2015\u2212-]+")


def normalize_title(title):
    """Fold what differs between copies of one headline: case, spaces, quotes, dashes."""
    text = unicodedata.normalize("NFKC", title).casefold().translate(_QUOTES)
    return " ".join(_DASHES.sub("-", text).split())


def title_key(title):
    return hashlib.sha256(normalize_title(title).encode()).hexdigest()


def fingerprint(title, published_at):
    """One story copy: the normalised title and the publish time (UTC), hashed."""
    moment = published_at.astimezone(UTC).isoformat() if published_at else "-"
    return hashlib.sha256(f"{normalize_title(title)}|{moment}".encode()).hexdigest()


class HeadlineRegion(ItemBase):
    tag = models.ForeignKey(RegionTag, on_delete=models.CASCADE, related_name="headline_items")
    content_object = models.ForeignKey(
        "Headline", on_delete=models.CASCADE, related_name="region_items"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="headlineregion_unique"),
        ]


class HeadlineTopic(ItemBase):
    tag = models.ForeignKey(TopicTag, on_delete=models.CASCADE, related_name="headline_items")
    content_object = models.ForeignKey(
        "Headline", on_delete=models.CASCADE, related_name="topic_items"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="headlinetopic_unique"),
        ]


class Story(models.Model):
    """The headlines of several outlets about one event, grouped by title similarity.

    Grouping keeps what it needs to compare a new headline with the story
    without reading its headlines: how many members hold each term, and which
    outlets told it. Editors merge, split and choose the lead; their
    decisions are kept on the headlines (``story_locked``) and never undone.
    """

    title = models.CharField(
        "lead title",
        max_length=500,
        blank=True,
        help_text="The lead copy's title: the earliest copy's, or the one an editor chose.",
    )
    lead = models.ForeignKey(
        "Headline",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="lead copy chosen by an editor",
        help_text="Empty: the earliest copy leads.",
    )
    closed = models.BooleanField(
        "closed to grouping",
        default=False,
        help_text="An editor split a headline out into it: grouping adds no headline to it.",
    )
    first_seen = models.DateTimeField("first seen", null=True, blank=True)
    last_seen = models.DateTimeField("last seen", null=True, blank=True)
    size = models.PositiveIntegerField("headlines", default=0)
    outlets = models.PositiveIntegerField("outlets", default=0)
    outlet_keys = models.JSONField("outlets that told it", default=list, blank=True, editable=False)
    term_counts = models.JSONField(
        "title terms",
        default=dict,
        blank=True,
        editable=False,
        help_text="How many of its headlines hold each title term (for grouping).",
    )
    created_at = models.DateTimeField("created", default=timezone.now, editable=False)

    class Meta:
        verbose_name = "story"
        verbose_name_plural = "stories"
        ordering = ["-last_seen", "-id"]
        indexes = [
            # Grouping reads the stories active in a window by their last sighting.
            models.Index(fields=["last_seen"], name="story_last_seen_idx"),
        ]

    def __str__(self):
        return self.title or f"Story {self.pk}"

    def get_absolute_url(self):
        return reverse("story-detail", args=[self.pk])


class TermFrequency(models.Model):
    """How many headlines held a title term: the IDF of story grouping, learnt at ingest.

    The row with the empty term counts all headlines seen.
    """

    term = models.CharField("term", max_length=100, unique=True)
    headlines = models.PositiveIntegerField("headlines", default=0)

    class Meta:
        verbose_name = "term frequency"
        verbose_name_plural = "term frequencies"

    def __str__(self):
        return f"{self.term or '(all)'}: {self.headlines}"


class Headline(models.Model):
    """One story from another outlet, as listed in dumps' sidebars.

    The same story seen in many dumps is one row: it is identified by its
    fingerprint (normalised title + publish time).
    """

    title = models.CharField("title", max_length=500)
    title_key = models.CharField(
        "normalised title",
        max_length=64,
        editable=False,
        db_index=True,
        help_text="Hash of the title with case, spaces, quotes and dashes folded.",
    )
    fingerprint = models.CharField(
        "fingerprint",
        max_length=64,
        editable=False,
        help_text="Hash of the normalised title and publish time: one row per story copy.",
    )
    story = models.ForeignKey(
        Story,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headlines",
        verbose_name="story",
    )
    story_score = models.FloatField("grouping score", null=True, blank=True, editable=False)
    story_reason = models.CharField("why in this story", max_length=300, blank=True, editable=False)
    story_locked = models.BooleanField(
        "story set by an editor",
        default=False,
        editable=False,
        help_text="An editor's merge or split: grouping never moves this headline.",
    )
    story_terms = models.JSONField("title terms", default=list, blank=True, editable=False)
    summary = models.TextField("summary", blank=True)
    summary_truncated = models.BooleanField("summary was cut", default=False)
    published_at = models.DateTimeField("published", null=True, blank=True)
    time_label = models.CharField("time as printed", max_length=40, blank=True)
    region_label = models.CharField("region as printed", max_length=40, blank=True)
    credit = models.TextField("credit", blank=True)
    source = models.ForeignKey(
        Source,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headlines",
        verbose_name="source",
    )
    url = models.URLField("link", max_length=1000, blank=True)
    article = models.ForeignKey(
        Article,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headlines",
        verbose_name="our article",
    )
    visible = models.BooleanField("visible in the sidebar", default=True)
    pinned = models.BooleanField("pinned", default=False)
    region_tags = TaggableManager(
        "regions",
        through=HeadlineRegion,
        blank=True,
        related_name="headlines",
        manager=KeyedTagManager,
    )
    topic_tags = TaggableManager(
        "topics",
        through=HeadlineTopic,
        blank=True,
        related_name="headlines",
        manager=KeyedTagManager,
    )
    dumps = models.ManyToManyField(
        Dump, through="HeadlineAppearance", related_name="headlines", verbose_name="seen in"
    )
    created_at = models.DateTimeField("first seen", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("updated", auto_now=True)
    edited_at = models.DateTimeField("last edited by a person", null=True, blank=True)
    edited_fields = models.JSONField(
        "fields changed by editors", default=list, blank=True, editable=False
    )

    class Meta:
        verbose_name = "headline"
        verbose_name_plural = "headlines"
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["fingerprint"], name="headline_fingerprint_unique"),
        ]
        indexes = [
            # The sidebar: visible ones, pinned first, newest first.
            # Partial on visible: SQLite only uses an index for "WHERE visible"
            # (how Django writes visible=True) when the index has that condition.
            models.Index(
                fields=["-pinned", "-published_at", "id"],
                condition=models.Q(visible=True),
                name="headline_sidebar_idx",
            ),
            # The archive and keyset pagination, in the lists' order: newest
            # first, then in the order ingest created them (the outlet's order).
            models.Index(fields=["-published_at", "id"], name="headline_archive_idx"),
            models.Index(fields=["source", "-published_at", "id"], name="headline_source_idx"),
            # The desk (issue 20): the pinned filter and the dashboard's "edited
            # lately", each over its few rows only, so ingest writes no entry.
            models.Index(
                fields=["-published_at", "id"],
                condition=models.Q(pinned=True),
                name="headline_pinned_idx",
            ),
            models.Index(
                fields=["-edited_at", "-id"],
                condition=models.Q(edited_at__isnull=False),
                name="headline_edited_idx",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return f"{reverse('headline-archive')}#headline-{self.pk}"


class HeadlineAppearance(models.Model):
    """A Headline's place in one dump's list."""

    headline = models.ForeignKey(
        Headline, on_delete=models.CASCADE, related_name="appearances", verbose_name="headline"
    )
    dump = models.ForeignKey(
        Dump, on_delete=models.CASCADE, related_name="appearances", verbose_name="dump"
    )
    position = models.PositiveIntegerField("position")

    class Meta:
        verbose_name = "appearance"
        verbose_name_plural = "appearances"
        ordering = ["dump", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["dump", "position", "headline"], name="appearance_unique"
            ),
        ]

    def __str__(self):
        return f"#{self.position} in {self.dump}"
