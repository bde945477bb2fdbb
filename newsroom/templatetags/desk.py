"""The dashboard on the admin index: what came in, what failed, what went quiet."""

from datetime import timedelta

from django import template
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from articles.models import Dump, Source
from headlines.models import Headline

register = template.Library()

CHART_DAYS = 30
CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 600, 120, 2
STALE_AFTER = timedelta(days=7)


@register.inclusion_tag("admin/includes/dashboard.html", takes_context=True)
def dashboard(context):
    user = context["request"].user
    if not user.has_perm("articles.view_dump"):
        return {"visible": False}
    now = timezone.localtime()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    dumps = Dump.objects.aggregate(
        today=Count("pk", filter=Q(ingested_at__gte=today, status=Dump.Status.IMPORTED)),
        week=Count(
            "pk", filter=Q(ingested_at__gte=today - timedelta(days=6), status=Dump.Status.IMPORTED)
        ),
        failed=Count("pk", filter=Q(status=Dump.Status.FAILED)),
    )
    return {
        "visible": True,
        "dumps": dumps,
        "chart": headlines_chart(today),
        "stale_sources": stale_sources(now),
    }


def headlines_chart(today):
    """Bars of headlines first seen per day, last 30 days, ready for an inline SVG.

    First seen, not published: the desk watches its inflow, and dumps may be old.
    """
    start = today - timedelta(days=CHART_DAYS - 1)
    per_day = dict(
        Headline.objects.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(total=Count("pk"))
        .values_list("day", "total")
    )
    days = [(start + timedelta(days=n)).date() for n in range(CHART_DAYS)]
    peak = max(per_day.values(), default=0) or 1
    width = CHART_WIDTH / CHART_DAYS
    bars = []
    for index, day in enumerate(days):
        total = per_day.get(day, 0)
        height = round(total / peak * (CHART_HEIGHT - 20))
        bars.append(
            {
                "day": day,
                "total": total,
                "x": round(index * width, 1),
                "y": CHART_HEIGHT - height,
                "width": round(width - BAR_GAP, 1),
                "height": height,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "total": sum(per_day.values()),
        "peak": peak if per_day else 0,
    }


def stale_sources(now, limit=10):
    """Sources whose latest headline is over a week old: the feed may be broken."""
    return list(
        Source.objects.annotate(last_seen=Max("headlines__published_at"))
        .filter(last_seen__lt=now - STALE_AFTER)
        .order_by("last_seen")[:limit]
    )
