"""Reads the public site shares: the sidebar, the lists of headlines and articles, search.

Every function here runs a fixed number of queries whatever the number of
rows, tags or pages, and no list ever counts its table: pages are cut with
keyset ("newer / older") pagination on ``(published_at, id)``.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, When
from django.utils import timezone

from articles.models import Article, RegionTag, Source, TopicTag, live_q
from articles.prepared import PreparedValues, url_maker

from .models import Headline, HeadlineRegion

PAGE_SIZE = 50
ARTICLE_PAGE_SIZE = 20
SEARCH_MAX_LENGTH = 200
SEARCH_MAX_WORDS = 12
SEARCH_ARTICLES = 20
SEARCH_HEADLINES = 50

# The expressions the GIN indexes of migrations articles/0003 and headlines/0002
# are built on: PostgreSQL only uses an expression index for the same expression.
ARTICLE_SEARCH_VECTOR = SearchVector("title", "dek", "body", config="english")
HEADLINE_SEARCH_VECTOR = SearchVector("title", "summary", config="english")

# Newest first; rows of the same instant in the order they were created, which
# for headlines is the order the outlet listed them in.
LIST_ORDER = ("-published_at", "pk")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(-?\d{1,18})_(\d{1,18})$")


class BadCursor(ValueError):
    """A pagination cursor that was not made by :func:`encode_cursor`."""


@dataclass
class Page:
    """One page of a list: its rows and the cursors of its neighbours (None: no such page)."""

    items: list = field(default_factory=list)
    newer: str | None = None
    older: str | None = None


def encode_cursor(obj):
    """``<microseconds since 1970>_<id>``: exact, and readable in a URL."""
    delta = obj.published_at - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}_{obj.pk}"


def decode_cursor(value):
    match = _CURSOR.match(value or "")
    if not match:
        raise BadCursor(value)
    try:
        moment = _EPOCH + timedelta(microseconds=int(match[1]))
    except OverflowError as error:
        raise BadCursor(value) from error
    return moment, int(match[2])


def keyset_page(queryset, *, before=None, after=None, size=PAGE_SIZE):
    """Cut a page from ``queryset`` in ``LIST_ORDER``, after ``before`` or ahead of ``after``.

    Cursors come from :func:`encode_cursor` (``BadCursor`` otherwise). One
    query: ``size + 1`` rows tell whether a further page exists in the
    direction of travel; the page we came from is assumed to exist.
    """
    dated = queryset.filter(published_at__isnull=False)
    if after is not None:
        moment, pk = decode_cursor(after)
        newer = Q(published_at__gt=moment) | Q(published_at=moment, pk__lt=pk)
        rows = list(dated.filter(newer).order_by("published_at", "-pk")[: size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        if not rows:
            return Page()
        return Page(
            rows, newer=encode_cursor(rows[0]) if more else None, older=encode_cursor(rows[-1])
        )
    if before is not None:
        moment, pk = decode_cursor(before)
        dated = dated.filter(Q(published_at__lt=moment) | Q(published_at=moment, pk__gt=pk))
    rows = list(dated.order_by(*LIST_ORDER)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not rows:
        return Page()
    return Page(
        rows,
        newer=encode_cursor(rows[0]) if before is not None else None,
        older=encode_cursor(rows[-1]) if more else None,
    )


def live_articles():
    """Articles readers may see, with their source, newest first."""
    return Article.objects.live().select_related("source").order_by(*LIST_ORDER)


def public_headlines(*, now=None):
    """Visible headlines that have a publish time, with their source.

    ``article_slug`` is the slug of our article on the story when that
    article is live (a draft's slug must not leak), else None. Region tags
    come in one prefetch query for the whole list.
    """
    now = now or timezone.now()
    live_slug = Case(
        When(live_q(now, prefix="article__"), then=F("article__slug")),
        default=None,
        output_field=CharField(),
    )
    return (
        Headline.objects.filter(visible=True, published_at__isnull=False)
        .select_related("source")
        # "N outlets" beside a headline whose story several outlets told.
        .annotate(article_slug=live_slug, story_outlets=F("story__outlets"))
        .prefetch_related("region_tags")
    )


def _with_primary_region(headlines):
    """Give each headline the region to print: the tag its printed label names, if any.

    The label is the outlet's section cut to 12 characters (``Middle Easte``),
    so a tag matches when one is a prefix of the other. Uses prefetched tags.
    """
    for headline in headlines:
        tags = sorted(headline.region_tags.all(), key=lambda tag: tag.name.casefold())
        label = headline.region_label.casefold()
        matching = [
            tag
            for tag in tags
            if label
            and (tag.name.casefold().startswith(label) or label.startswith(tag.name.casefold()))
        ]
        headline.primary_region = (matching or tags or [None])[0]
        headline.other_regions = [tag for tag in tags if tag != headline.primary_region]
    return headlines


def sidebar_headlines(*, limit=None):
    """The sidebar: latest visible headlines, pinned first, one per story. Two queries.

    Headlines of the same minute keep the order the outlet listed them in
    (the order ingest created them). A story told by several outlets shares
    a story; it is shown once, by its best-placed copy, with its number of outlets. The ``NOT
    EXISTS`` lets the database walk the sidebar index and stop after
    ``limit`` rows, however large the table. Every page shows it, so both
    queries are prepared once (``PreparedValues``) and rows stay plain values.
    """
    limit = settings.SIDEBAR_HEADLINES if limit is None else limit
    query = _SIDEBAR_QUERIES.get(limit)
    if query is None:
        query = _SIDEBAR_QUERIES[limit] = PreparedValues(
            lambda now, ids, key: _sidebar_queryset(now=now, limit=limit)
        )
    headlines = [SidebarRow(**row) for row in query.rows(now=timezone.now())]
    _attach_regions(headlines)
    return _with_primary_region(headlines)


_SIDEBAR_QUERIES = {}  # limit -> PreparedValues


def _sidebar_queryset(*, now, limit):
    same_rank = {"pinned": OuterRef("pinned"), "published_at": OuterRef("published_at")}
    better_copy = Headline.objects.filter(
        visible=True, published_at__isnull=False, story_id=OuterRef("story_id")
    ).filter(
        Q(pinned__gt=OuterRef("pinned"))
        | Q(pinned=OuterRef("pinned"), published_at__gt=OuterRef("published_at"))
        | Q(**same_rank, pk__lt=OuterRef("pk"))
    )
    return (
        public_headlines(now=now)
        .filter(~Exists(better_copy))
        .order_by("-pinned", *LIST_ORDER)
        .prefetch_related(None)
        .values(*SIDEBAR_FIELDS)[:limit]
    )


# What a sidebar row prints, and no more: plain values, no model instances.
SIDEBAR_FIELDS = (
    "id",
    "title",
    "summary",
    "summary_truncated",
    "published_at",
    "region_label",
    "credit",
    "url",
    "pinned",
    "story_id",
    "story_outlets",
    "article_slug",
    "source_id",
    "source__name",
    "source__short_name",
    "source__slug",
)


class SidebarRow(SimpleNamespace):
    """One sidebar headline, with the attributes the headline template reads."""

    @property
    def pk(self):
        return self.id


def _attach_regions(headlines):
    """Region tags of ``headlines`` in one plain query, and URLs made without ``reverse``.

    Every page shows the sidebar, so its rows are built lean: one values
    query for the tags, one ``reverse`` per kind of link, not one per row.
    (taggit's prefetch would build a queryset per row.)
    """
    region_url = url_maker("region-detail")
    source_url = url_maker("source-detail")
    tags = {headline.id: [] for headline in headlines}
    for row in _REGION_QUERY.rows(ids=list(tags)) if tags else ():
        slug = row["tag__slug"]
        tags[row["content_object_id"]].append(
            SimpleNamespace(
                pk=row["tag_id"],
                name=row["tag__name"],
                slug=slug,
                get_absolute_url=region_url(slug),
            )
        )
    for headline in headlines:
        headline.region_tags = _Tags(tags[headline.id])
        headline.source = None
        if headline.source_id is not None:
            slug = headline.source__slug
            headline.source = SimpleNamespace(
                pk=headline.source_id,
                name=headline.source__name,
                display_name=headline.source__short_name or headline.source__name,
                slug=slug,
                get_absolute_url=source_url(slug),
            )


_REGION_QUERY = PreparedValues(
    lambda now, ids, key: HeadlineRegion.objects.filter(content_object_id__in=ids).values(
        "content_object_id", "tag_id", "tag__name", "tag__slug"
    )
)


class _Tags(list):
    def all(self):
        return self


def story_headlines(story, *, before=None, after=None):
    """Every outlet's public copy of one story, newest first (keyset pages)."""
    return _headline_page(
        public_headlines().filter(story=story), {"before": before, "after": after}
    )


def _headline_page(queryset, cursors):
    page = keyset_page(queryset, **cursors)
    _with_primary_region(page.items)
    return page


def headlines_archive(
    *,
    source=None,
    region=None,
    topic=None,
    day=None,
    one_per_story=False,
    before=None,
    after=None,
):
    """The archive, newest first, optionally of one source, region, topic and day.

    ``one_per_story``: a story told by several outlets is one row, its newest
    public copy (with its "N outlets" link to the rest).
    """
    headlines = public_headlines()
    if one_per_story:
        newer_copy = Headline.objects.filter(
            visible=True, published_at__isnull=False, story_id=OuterRef("story_id")
        ).filter(
            Q(published_at__gt=OuterRef("published_at"))
            | Q(published_at=OuterRef("published_at"), pk__lt=OuterRef("pk"))
        )
        headlines = headlines.filter(~Exists(newer_copy))
    if source is not None:
        headlines = headlines.filter(source=source)
    if region is not None:
        headlines = headlines.filter(region_items__tag=region)
    if topic is not None:
        headlines = headlines.filter(topic_items__tag=topic)
    if day is not None:
        start, end = day_bounds(day)
        headlines = headlines.filter(published_at__gte=start, published_at__lt=end)
    return _headline_page(headlines, {"before": before, "after": after})


def day_bounds(day: date):
    """The UTC instants where ``day`` starts and ends in the site's time zone (DST-safe).

    Raises OverflowError for a day at the end of the calendar (9999-12-31, or
    0001-01-01 east of UTC), whose bounds no datetime can hold.
    """
    start = timezone.make_aware(datetime.combine(day, time.min)).astimezone(UTC)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return start, end.astimezone(UTC)


def tag_articles(tag, *, before=None, after=None):
    """Live articles with a region or topic tag, newest first."""
    articles = live_articles().filter(**{_tag_lookup(tag): tag}).prefetch_related("region_tags")
    return keyset_page(articles, before=before, after=after, size=ARTICLE_PAGE_SIZE)


def tag_headlines(tag, *, before=None, after=None):
    """Public headlines with a region or topic tag, newest first."""
    headlines = public_headlines().filter(**{_tag_lookup(tag): tag})
    return _headline_page(headlines, {"before": before, "after": after})


def _tag_lookup(tag):
    if isinstance(tag, RegionTag):
        return "region_items__tag"
    if isinstance(tag, TopicTag):
        return "topic_items__tag"
    raise TypeError(f"not a region or topic tag: {tag!r}")


def source_articles(source: Source, *, before=None, after=None):
    """Live articles credited to one outlet, newest first."""
    articles = live_articles().filter(source=source).prefetch_related("region_tags")
    return keyset_page(articles, before=before, after=after, size=ARTICLE_PAGE_SIZE)


def source_headlines(source: Source, *, before=None, after=None):
    """One outlet's public headlines, newest first."""
    return _headline_page(
        public_headlines().filter(source=source), {"before": before, "after": after}
    )


def search_words(text):
    """The words of a search box, capped: at most 200 characters and 12 words."""
    return (text or "")[:SEARCH_MAX_LENGTH].split()[:SEARCH_MAX_WORDS]


def search(*, text):
    """Live articles and public headlines matching every word of ``text``.

    A word matches any word it begins (``Iran`` finds ``Iranian``), the same
    on every database. PostgreSQL uses full-text search (stemmed
    English, served by GIN indexes); other databases look for each word
    anywhere in the text, case-insensitively. Newest first. Returns ``(articles,
    headlines)``; both empty for an empty query.
    """
    words = search_words(text)
    articles = live_articles().prefetch_related("region_tags")
    headlines = public_headlines()
    if connection.vendor == "postgresql":
        # Only word characters reach the raw tsquery, so no input can break its syntax.
        terms = [term for term in (re.sub(r"\W+", "", word) for word in words) if term]
        if not terms:
            return [], []
        query = SearchQuery(
            " & ".join(f"{term}:*" for term in terms), search_type="raw", config="english"
        )
        # Newest matches first, not ranked: ranking recomputes every matching
        # row's vector (seconds at 100,000 headlines); the GIN index only filters.
        articles = (
            articles.alias(document=ARTICLE_SEARCH_VECTOR)
            .filter(document=query)
            .order_by(*LIST_ORDER)
        )
        headlines = (
            headlines.alias(document=HEADLINE_SEARCH_VECTOR)
            .filter(document=query)
            .order_by(*LIST_ORDER)
        )
    else:
        if not words:
            return [], []
        for word in words:
            articles = articles.filter(
                Q(title__icontains=word) | Q(dek__icontains=word) | Q(body__icontains=word)
            )
            headlines = headlines.filter(Q(title__icontains=word) | Q(summary__icontains=word))
        headlines = headlines.order_by(*LIST_ORDER)
    return (
        list(articles[:SEARCH_ARTICLES]),
        _with_primary_region(list(headlines[:SEARCH_HEADLINES])),
    )
