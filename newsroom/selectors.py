"""What the desk's dashboard shows: the queues of work, the headlines chart, the
quiet sources. Read-only queries, a fixed number whatever the table sizes.

Dates are judged against the data, not the wall clock: dumps are often captures
of another year, so "stale" and the chart's period follow the newest dump.
"""

from datetime import datetime, time, timedelta

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from articles.models import Article, Dump, Source
from headlines.models import Headline

QUEUE_SHOWN = 5  # rows listed per queue; the count says how many in all
CHART_DAYS = 30  # at most, ending on the newest headline's day
CHART_MIN_DAYS = 7
STALE_AFTER = timedelta(days=7)


def desk_queues(*, now=None, limit=QUEUE_SHOWN):
    """Each queue's total and its first rows: dumps that failed, dumps parsed but
    never imported, draft and scheduled articles, what editors changed lately."""
    now = now or timezone.now()
    dumps = Dump.objects.aggregate(
        failed=Count("pk", filter=Q(status=Dump.Status.FAILED)),
        waiting=Count("pk", filter=Q(status=Dump.Status.PARSED)),
    )
    articles = Article.objects.aggregate(
        drafts=Count("pk", filter=Q(status=Article.Status.DRAFT)),
        scheduled=Count("pk", filter=Q(status=Article.Status.PUBLISHED, published_at__gt=now)),
    )
    dump_rows = Dump.objects.defer("raw", "text", "warnings", "counts").order_by("-ingested_at")
    return {
        "failed_dumps": _queue(dumps["failed"], dump_rows.filter(status=Dump.Status.FAILED), limit),
        "waiting_dumps": _queue(
            dumps["waiting"], dump_rows.filter(status=Dump.Status.PARSED), limit
        ),
        "drafts": _queue(
            articles["drafts"],
            Article.objects.filter(status=Article.Status.DRAFT).order_by("-updated_at", "-pk"),
            limit,
        ),
        "scheduled": _queue(
            articles["scheduled"],
            Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=now).order_by(
                "published_at", "pk"
            ),
            limit,
        ),
        "edited_articles": list(
            Article.objects.filter(edited_at__isnull=False).order_by("-edited_at", "-pk")[:limit]
        ),
        "edited_headlines": list(
            Headline.objects.filter(edited_at__isnull=False).order_by("-edited_at", "-pk")[:limit]
        ),
    }


def _queue(total, queryset, limit):
    return {"total": total, "items": list(queryset[:limit]) if total else []}


def headline_span():
    """The first and last publish time of the headlines: (None, None) with none."""
    # Two aggregates, one each: SQLite reads MIN or MAX alone from the index,
    # but both in one query by reading every row.
    first = Headline.objects.aggregate(first=Min("published_at"))["first"]
    last = Headline.objects.aggregate(last=Max("published_at"))["last"]
    return first, last


def headlines_per_day(span, *, days=CHART_DAYS, min_days=CHART_MIN_DAYS):
    """Headlines per publish day over the period that has data.

    The window ends on the newest headline's day and starts at the oldest one's,
    at most ``days`` back (at least ``min_days`` shown). Returns ``(day, total)``
    for every day of the window, empty days included, or [] with no headlines.
    """
    first, last = span
    if last is None:
        return []
    zone = timezone.get_current_timezone()
    first, last = timezone.localtime(first, zone).date(), timezone.localtime(last, zone).date()
    start = min(max(first, last - timedelta(days=days - 1)), last - timedelta(days=min_days - 1))
    per_day = dict(
        # The window as times (the publish-time index), not as dates of every row.
        Headline.objects.filter(
            published_at__gte=timezone.make_aware(datetime.combine(start, time.min), zone),
            published_at__lt=timezone.make_aware(
                datetime.combine(last + timedelta(days=1), time.min), zone
            ),
        )
        .annotate(day=TruncDate("published_at", tzinfo=zone))
        .values("day")
        .annotate(total=Count("pk"))
        .values_list("day", "total")
    )
    count = (last - start).days + 1
    return [(day, per_day.get(day, 0)) for day in (start + timedelta(n) for n in range(count))]


def newest_dump_date(span):
    """What "now" is for the data: the newest headline's publish time, or the end
    of the newest imported dump's capture date if that is later. None if neither."""
    captured = Dump.objects.filter(status=Dump.Status.IMPORTED).aggregate(
        newest=Max("captured_at")
    )["newest"]
    candidates = [span[1]] if span[1] is not None else []
    if captured is not None:
        end = datetime.combine(captured, time.max)
        candidates.append(timezone.make_aware(end, timezone.get_current_timezone()))
    return max(candidates, default=None)


def stale_sources(*, reference, limit=10):
    """Sources with nothing for STALE_AFTER before ``reference`` (the newest dump's
    date): the outlet may have stopped, or its credit changed form."""
    if reference is None:
        return []
    # last_seen_at is kept on the row (articles.services: sources_count_add, sources_recount).
    return list(
        Source.objects.filter(last_seen_at__lt=reference - STALE_AFTER).order_by(
            "last_seen_at", "pk"
        )[:limit]
    )
