"""The base layer: outlets, our own articles, raw dumps and the two tag vocabularies."""

import re
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django_prose_editor.fields import ProseEditorField
from taggit.managers import TaggableManager, _TaggableManager
from taggit.models import ItemBase, TagBase

from . import richtext


def fit(model, field_name, value):
    """``value`` cut to the column's max_length, so every database stores the same.

    SQLite ignores a varchar's length and PostgreSQL refuses the whole
    statement; parsed text is cut here, before either sees it.
    """
    limit = model._meta.get_field(field_name).max_length
    return value[:limit] if value and limit else value


def normalize_name(name):
    """Fold an outlet name so that its spellings compare equal, in any script.

    Case, combining marks (accents, Arabic vowel marks), punctuation and runs
    of spaces are ignored, letters of every script are kept: ``AL BAWABA`` and
    ``Al-Bawaba.`` both become ``al bawaba``, ``وكالة الأنباء`` stays itself.
    A name of punctuation only keeps its punctuation, so it never folds to nothing.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.casefold().replace("&", " and ")
    folded = " ".join(re.sub(r"\W+", " ", text).split())
    return folded or " ".join(text.split())


def tag_key(name):
    """The one case-folding of tag names and keywords, the same on every database.

    NFKC then ``casefold()`` in Python: the database's LOWER() differs
    between SQLite (ASCII only) and PostgreSQL (``İ``, final sigma).
    """
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


class Source(models.Model):
    """An outlet that publishes headlines (and, via editors, articles).

    Credits name outlets in varying forms; every form seen resolves to one
    Source through its aliases.
    """

    name = models.CharField("name", max_length=200)
    slug = models.SlugField("slug", max_length=200, unique=True)
    homepage_url = models.URLField("homepage URL", blank=True)
    created_at = models.DateTimeField("created", default=timezone.now, editable=False)
    short_name = models.CharField(
        "short name",
        max_length=80,
        blank=True,
        help_text="What readers see beside its headlines (“Gulf News”); empty: the name.",
    )
    # Kept by services (ingest adds its new rows: sources_count_add; merges, moves
    # and deletions recount: sources_recount): the Source list reads them instead
    # of aggregating every headline of every source per view.
    headline_count = models.PositiveIntegerField("headlines", default=0, editable=False)
    last_seen_at = models.DateTimeField("last seen", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "source"
        verbose_name_plural = "sources"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("source-detail", kwargs={"slug": self.slug})

    @property
    def display_name(self):
        return self.short_name or self.name


class SourceSlug(models.Model):
    """A slug a Source had before a merge: its old URL redirects to the kept Source."""

    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="old_slugs", verbose_name="source"
    )
    slug = models.SlugField("old slug", max_length=200, unique=True)

    class Meta:
        verbose_name = "old source slug"
        verbose_name_plural = "old source slugs"

    def __str__(self):
        return self.slug


class SourceAlias(models.Model):
    """One spelling of a Source's name as it appeared in a credit."""

    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="aliases", verbose_name="source"
    )
    name = models.CharField("name as credited", max_length=300)
    normalized = models.CharField("normalized name", max_length=300, unique=True, editable=False)

    class Meta:
        verbose_name = "source alias"
        verbose_name_plural = "source aliases"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = fit(SourceAlias, "name", self.name)
        self.normalized = fit(SourceAlias, "normalized", normalize_name(self.name))
        super().save(*args, **kwargs)


class KeyedTagManager(_TaggableManager):
    """Names typed in a tag field find their tag by :func:`tag_key`, never by iexact."""

    def _to_tag_model_instances(self, tags, tag_kwargs):
        from .services import tags_ensure  # services import this module

        model = self.through.tag_model()
        names = [tag for tag in tags if isinstance(tag, str)]
        found, _ = tags_ensure(model=model, names=names)
        result = []
        for tag in tags:
            tag = found.get(tag) if isinstance(tag, str) else tag
            if tag is not None and tag not in result:
                result.append(tag)
        return result


class CaseInsensitiveTag(TagBase):
    """A tag whose name is unique whatever its case (``Iraq`` is ``iraq``, ``İzmir``
    is ``i̇zmir``): ``key`` holds the folded name and is unique."""

    key = models.CharField("folded name", max_length=200, unique=True, editable=False)
    # ASCII like every slug we make: the public URLs match <slug:...>, and a
    # unicode slug typed in the admin would break every page linking the tag.
    slug = models.SlugField("slug", unique=True, max_length=100)

    class Meta:
        abstract = True

    def slugify(self, tag, i=None):
        slug = slugify(tag) or "tag"
        return f"{slug}-{i}" if i is not None else slug

    def save(self, *args, **kwargs):
        self.name = fit(type(self), "name", self.name)
        self.key = fit(type(self), "key", tag_key(self.name))
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.key = fit(type(self), "key", tag_key(self.name))
        if type(self).objects.filter(key=self.key).exclude(pk=self.pk).exists():
            raise ValidationError({"name": "A tag with this name (in any case) already exists."})


class RegionTag(CaseInsensitiveTag):
    """A region of the world (Middle East, Iraq, Baghdad...)."""

    class Meta:
        verbose_name = "region"
        verbose_name_plural = "regions"
        ordering = ["name"]

    def get_absolute_url(self):
        return reverse("region-detail", kwargs={"slug": self.slug})


class TopicTag(CaseInsensitiveTag):
    """A subject (politics, security, energy...), a namespace apart from regions."""

    class Meta:
        verbose_name = "topic"
        verbose_name_plural = "topics"
        ordering = ["name"]

    def get_absolute_url(self):
        return reverse("topic-detail", kwargs={"slug": self.slug})


class TopicKeyword(models.Model):
    """One entry of the topic lexicon: a word or phrase that suggests a topic."""

    keyword = models.CharField("keyword or phrase", max_length=100)
    key = models.CharField("folded keyword", max_length=200, editable=False)
    topic = models.ForeignKey(
        TopicTag, on_delete=models.CASCADE, related_name="keywords", verbose_name="topic"
    )

    class Meta:
        verbose_name = "topic keyword"
        verbose_name_plural = "topic lexicon"
        ordering = ["topic__name", "keyword"]
        constraints = [
            models.UniqueConstraint(fields=["key", "topic"], name="topickeyword_key_unique"),
        ]

    def __str__(self):
        return f"{self.keyword} → {self.topic}"

    def save(self, *args, **kwargs):
        self.key = fit(TopicKeyword, "key", tag_key(self.keyword))
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.key = fit(TopicKeyword, "key", tag_key(self.keyword))
        same = TopicKeyword.objects.filter(key=self.key, topic_id=self.topic_id)
        if self.topic_id and same.exclude(pk=self.pk).exists():
            raise ValidationError({"keyword": "This topic has this keyword already."})


class Dump(models.Model):
    """A page dump as received: the raw bytes are kept forever, even when unparseable."""

    class Status(models.TextChoices):
        PARSED = "parsed", "parsed"
        IMPORTED = "imported", "imported"
        FAILED = "failed", "failed"
        # A dump of a batch: waiting for a worker, being imported, or called off.
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        CANCELLED = "cancelled", "cancelled"

    raw = models.BinaryField("raw bytes as received")
    text = models.TextField("current text", blank=True)
    checksum = models.CharField("SHA-256 of the raw bytes", max_length=64, editable=False)
    filename = models.CharField("file name", max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="ingested by",
    )
    ingested_at = models.DateTimeField("ingested", default=timezone.now, db_index=True)
    captured_at = models.DateField("capture date", null=True, blank=True)
    status = models.CharField(
        "status", max_length=10, choices=Status.choices, default=Status.PARSED, db_index=True
    )
    warnings = models.JSONField("parser warnings", default=list, blank=True)
    error = models.TextField("error", blank=True)
    error_line = models.PositiveIntegerField("error line", null=True, blank=True)
    counts = models.JSONField("what the import created and updated", default=dict, blank=True)
    batch = models.ForeignKey(
        "Batch", on_delete=models.SET_NULL, null=True, blank=True, related_name="dumps"
    )

    class Meta:
        verbose_name = "dump"
        verbose_name_plural = "dumps"
        ordering = ["-ingested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["checksum"], name="dump_checksum_unique"),
        ]

    def __str__(self):
        return self.filename or f"dump {self.checksum[:12]}"

    def save(self, *args, **kwargs):
        self.filename = fit(Dump, "filename", self.filename)
        super().save(*args, **kwargs)


class ArticleRegion(ItemBase):
    tag = models.ForeignKey(RegionTag, on_delete=models.CASCADE, related_name="article_items")
    content_object = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="region_items"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="articleregion_unique"),
        ]


class ArticleTopic(ItemBase):
    tag = models.ForeignKey(TopicTag, on_delete=models.CASCADE, related_name="article_items")
    content_object = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="topic_items"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="articletopic_unique"),
        ]


def live_q(now=None, prefix=""):
    """Published, due and not yet taken down, as a Q (``prefix``: ``"article__"`` from a
    related model). Scheduled ones appear and expired ones go by the clock, no cron."""
    now = now or timezone.now()
    return models.Q(
        **{f"{prefix}status": Article.Status.PUBLISHED, f"{prefix}published_at__lte": now}
    ) & (
        models.Q(**{f"{prefix}expires_at__isnull": True})
        | models.Q(**{f"{prefix}expires_at__gt": now})
    )


class ArticleQuerySet(models.QuerySet):
    def live(self, now=None):
        """What readers may see: see :func:`live_q`."""
        return self.filter(live_q(now))


class Article(models.Model):
    """A piece of our own, usually started from a dump and finished by an editor."""

    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        PUBLISHED = "published", "published"

    title = models.CharField("title", max_length=300)
    slug = models.SlugField("slug", max_length=200, unique=True)
    dek = models.TextField("dek (standfirst)", blank=True)
    byline = models.CharField(
        "byline", max_length=200, blank=True, help_text="The author, as the page shows it."
    )
    dek_truncated = models.BooleanField("dek was cut", default=False)
    # Rich text (articles/richtext.py): sanitised by the allow-list when a form
    # is cleaned and again in save(), whoever writes it.
    body = ProseEditorField(
        "body",
        blank=True,
        config={"extensions": richtext.EDITOR_EXTENSIONS},
        sanitize=richtext.sanitize,
        help_text="Paragraphs, links, bold and italic, subheadings, quotes and lists.",
    )
    truncated = models.BooleanField(
        "truncated", default=False, help_text="The dump held only the start of the piece."
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name="source",
    )
    source_url = models.URLField("original URL", blank=True)
    status = models.CharField("status", max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "publish time", null=True, blank=True, help_text="May be in the future: scheduled."
    )
    expires_at = models.DateTimeField(
        "take down at",
        null=True,
        blank=True,
        db_index=True,
        help_text="Optional: from this time the article is gone from every public page.",
    )
    review_state = models.CharField(
        "review",
        max_length=12,
        blank=True,
        default="",
        editable=False,
        choices=[
            ("", "not in review"),
            ("submitted", "awaiting review"),
            ("sent_back", "sent back"),
        ],
    )
    # Optimistic locking: every save adds one; a form opened at an older
    # version is refused (articles/editing_admin.py), not silently applied.
    version = models.PositiveIntegerField("version", default=0, editable=False)
    lead_image = models.ImageField(
        "lead image",
        upload_to="lead-images/",
        blank=True,
        help_text="JPEG, PNG, WebP or GIF. Stored upright, without its metadata (GPS).",
    )
    # Set when the image is stored, not read back from the file on every load
    # (ImageField's width_field would open the file each time an Article loads).
    lead_image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    lead_image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    lead_image_renditions = models.JSONField(
        "lead image renditions", default=list, blank=True, editable=False
    )
    lead_image_alt = models.CharField("lead image alt text", max_length=300, blank=True)
    lead_image_credit = models.CharField("lead image credit", max_length=300, blank=True)
    region_tags = TaggableManager(
        "regions",
        through=ArticleRegion,
        blank=True,
        related_name="articles",
        manager=KeyedTagManager,
    )
    topic_tags = TaggableManager(
        "topics",
        through=ArticleTopic,
        blank=True,
        related_name="articles",
        manager=KeyedTagManager,
    )
    dump = models.ForeignKey(
        Dump,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name="dump",
    )
    imported_at = models.DateTimeField("imported", null=True, blank=True, editable=False)
    edited_at = models.DateTimeField("last edited by a person", null=True, blank=True)
    edited_fields = models.JSONField(
        "fields changed by editors", default=list, blank=True, editable=False
    )
    updated_at = models.DateTimeField("updated", auto_now=True)
    # The outlet's own date, when the capture printed one (a date alone: midnight
    # in the site's zone and outlet_date_only), shown instead of our publish time.
    outlet_published_at = models.DateTimeField("published by the outlet", null=True, blank=True)
    outlet_date_only = models.BooleanField("the outlet gave a date only", default=False)
    front_lead = models.BooleanField(
        "lead of the front page",
        default=False,
        help_text="Pinned as the front page's lead story; otherwise the newest leads.",
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = "article"
        verbose_name_plural = "articles"
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at", "id"], name="article_live_idx"),
        ]
        # Editors publish; Reporters (articles/review.py) write and submit for review.
        permissions = [("publish_article", "Can publish, schedule and unpublish articles")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body = richtext.sanitize(self.body)
        self.version += 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("article-detail", kwargs={"slug": self.slug})

    @property
    def body_html(self):
        """The body for a page: sanitised again, the cut mark on a truncated piece."""
        return richtext.render(self.body, cut=self.truncated)

    @property
    def paragraphs(self):
        """The body's blocks as plain text lines."""
        return richtext.as_text(self.body).splitlines()

    @property
    def lead_image_sources(self):
        """(MIME type, srcset) for each format of the renditions, WebP first."""
        by_format = {}
        for rendition in self.lead_image_renditions:
            if rendition.get("ratio"):
                continue  # the cropped copies for search engines, not for srcset
            url = default_storage.url(rendition["name"])
            by_format.setdefault(rendition["format"], []).append(f"{url} {rendition['width']}w")
        return [
            (f"image/{kind.lower()}", ", ".join(sources))
            for kind, sources in sorted(by_format.items(), key=lambda item: item[0] != "WEBP")
        ]

    @property
    def share_image_url(self):
        """The rendition for Open Graph: the original format, at most 1600 px wide."""
        candidates = [
            r
            for r in self.lead_image_renditions
            if r["format"] != "WEBP" and r["width"] <= 1600 and not r.get("ratio")
        ]
        if candidates:
            return default_storage.url(max(candidates, key=lambda r: r["width"])["name"])
        return self.lead_image.url if self.lead_image else ""

    @property
    def ratio_image_urls(self):
        """The lead image cropped to 16x9, 4x3 and 1x1 (in that order), where made."""
        crops = {r["ratio"]: r["name"] for r in self.lead_image_renditions if r.get("ratio")}
        ratios = [ratio for ratio in ("16x9", "4x3", "1x1") if ratio in crops]
        return [default_storage.url(crops[ratio]) for ratio in ratios]

    @property
    def shown_date(self):
        """``(moment, date_only, is_outlets)``: the outlet's date if known, else ours."""
        if self.outlet_published_at:
            return self.outlet_published_at, self.outlet_date_only, True
        return self.published_at, False, False

    @property
    def was_updated(self):
        """An editor changed it after it was published (a minute's grace for the publish edit)."""
        return bool(
            self.edited_at
            and self.published_at
            and self.edited_at - self.published_at > timedelta(minutes=1)
        )

    @property
    def is_live(self):
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
            and (self.expires_at is None or self.expires_at > now)
        )

    @property
    def is_expired(self):
        return self.expires_at is not None and self.expires_at <= timezone.now()


class DumpEdit(models.Model):
    """One editor's correction of a dump's text; the raw bytes are never touched."""

    dump = models.ForeignKey(Dump, on_delete=models.CASCADE, related_name="edits")
    text = models.TextField("text after the edit")
    diff = models.TextField("unified diff against the previous text", blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="edited by",
    )
    edited_at = models.DateTimeField("edited", default=timezone.now)

    class Meta:
        verbose_name = "dump edit"
        verbose_name_plural = "dump edits"
        ordering = ["dump", "edited_at", "id"]

    def __str__(self):
        return f"edit of {self.dump} at {self.edited_at:%Y-%m-%d %H:%M}"


class Correction(models.Model):
    """A correction note on a live article: shown under it and in its JSON-LD."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="corrections", verbose_name="article"
    )
    text = models.TextField("correction")
    corrected_at = models.DateTimeField("time", default=timezone.now)

    class Meta:
        verbose_name = "correction"
        verbose_name_plural = "corrections"
        ordering = ["corrected_at", "id"]

    def __str__(self):
        return f"correction of {self.article} at {self.corrected_at:%Y-%m-%d %H:%M}"


class Batch(models.Model):
    """Dumps that arrived together (many files, a zip, the inbox), imported in the background.

    Its progress is never stored: it is counted from its dumps' statuses.
    """

    class Origin(models.TextChoices):
        UPLOAD = "upload", "upload"
        ZIP = "zip", "zip"
        INBOX = "inbox", "inbox"

    name = models.CharField("name", max_length=255, blank=True)
    origin = models.CharField("origin", max_length=10, choices=Origin.choices, default="upload")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="uploaded by",
    )
    created_at = models.DateTimeField("uploaded", default=timezone.now, db_index=True)
    options = models.JSONField("import options", default=dict, blank=True)
    dry_run = models.BooleanField(
        "dry run first", default=False, help_text="Check every dump; import only when told."
    )
    skipped = models.PositiveIntegerField(
        "sent again", default=0, help_text="Dumps already imported or queued in another batch."
    )

    class Meta:
        verbose_name = "batch"
        verbose_name_plural = "batches"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name or f"batch {self.pk}"


class ReviewEvent(models.Model):
    """One transition of an article's review (articles/review.py): who, when, the note."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="review_events")
    action = models.CharField("action", max_length=20)
    state = models.CharField("review state after", max_length=12, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField("when", default=timezone.now)
    note = models.TextField("note", blank=True)

    class Meta:
        verbose_name = "review event"
        verbose_name_plural = "review events"
        ordering = ["article", "at", "id"]

    def __str__(self):
        return f"{self.action} by {self.user} at {self.at:%Y-%m-%d %H:%M}"


class PendingChange(models.Model):
    """A reporter's changes to a live article, kept apart until an editor approves them."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="pending")
    values = models.JSONField("changed fields and their new values", default=dict)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField("updated", default=timezone.now)

    class Meta:
        verbose_name = "pending change"
        verbose_name_plural = "pending changes"

    def __str__(self):
        return f"changes to {self.article} by {self.author}"


class WorkingCopy(models.Model):
    """An editor's autosaved form of an article: one per editor and article, replaced
    each time, never public and not a revision (articles/editing.py)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="working_copies")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField("the form's fields as posted", default=dict)
    version = models.PositiveIntegerField("article version it was typed on", default=0)
    saved_at = models.DateTimeField("autosaved", default=timezone.now)

    class Meta:
        verbose_name = "working copy"
        verbose_name_plural = "working copies"
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="workingcopy_one_per_editor"),
        ]

    def __str__(self):
        return f"{self.user}'s working copy of {self.article}"


class Presence(models.Model):
    """Who has an article's form open: a heartbeat every few seconds (articles/editing.py)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField("last heartbeat", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "presence"
        verbose_name_plural = "presences"
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="presence_one_per_editor"),
        ]

    def __str__(self):
        return f"{self.user} on {self.article}"
