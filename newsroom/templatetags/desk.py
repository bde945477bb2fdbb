"""The dashboard on the admin index: what to do next, what came in, what went quiet.

The queries are newsroom.selectors'; this tag only lays them out (the chart's
geometry included: a server-drawn SVG, no script).
"""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from articles.models import Dump

from ..selectors import (
    STALE_AFTER,
    desk_queues,
    headline_span,
    headlines_per_day,
    newest_dump_date,
    stale_sources,
)

register = template.Library()

# The chart's box, in SVG units (it scales to its column): the plot and its margins.
WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 48
BAR_GAP = 0.2  # of a day's width


@register.inclusion_tag("admin/includes/dashboard.html", takes_context=True)
def dashboard(context):
    user = context["request"].user
    can_ingest = user.has_perm("articles.add_dump")
    if not (user.has_perm("articles.view_dump") and user.has_perm("articles.view_article")):
        return {"visible": False, "can_ingest": can_ingest}
    now = timezone.now()
    span = headline_span()
    reference = newest_dump_date(span)
    return {
        "visible": True,
        "can_ingest": can_ingest,
        "queues": queue_links(desk_queues(now=now), now),
        "chart": chart(headlines_per_day(span)),
        "reference": reference,
        "stale_days": STALE_AFTER.days,
        "stale_sources": stale_sources(reference=reference),
    }


def queue_links(queues, now):
    """Each queue's changelist, filtered to just that queue."""
    dumps = reverse("admin:articles_dump_changelist")
    articles = reverse("admin:articles_article_changelist")
    scheduled = urlencode({"status__exact": "published", "published_at__gt": now.isoformat()})
    queues["failed_dumps"]["url"] = f"{dumps}?status={Dump.Status.FAILED}"
    queues["waiting_dumps"]["url"] = f"{dumps}?status={Dump.Status.PARSED}"
    queues["drafts"]["url"] = f"{articles}?status__exact=draft"
    queues["scheduled"]["url"] = f"{articles}?{scheduled}"
    return queues


def chart(days):
    """Bars, axis ticks and labels for headlines per day, in SVG coordinates."""
    if not days:
        return None
    peak = max(total for _, total in days)
    top = nice_ceiling(peak)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(days)
    bars = []
    for index, (day, total) in enumerate(days):
        height = plot_h * total / top
        bars.append(
            {
                "day": day,
                "total": total,
                "x": f"{LEFT + index * step + step * BAR_GAP / 2:.1f}",
                "y": f"{TOP + plot_h - height:.1f}",
                "width": f"{step * (1 - BAR_GAP):.1f}",
                "height": f"{height:.1f}",
            }
        )
    y_ticks = [
        {"value": value, "y": f"{TOP + plot_h - plot_h * value / top:.1f}"}
        for value in (0, top // 2, top)
    ]
    # First, middle and last day under the axis (fewer when the days are few).
    picked = sorted({0, (len(days) - 1) // 2, len(days) - 1})
    x_ticks = [
        {"day": days[i][0], "x": f"{LEFT + i * step + step / 2:.1f}", "first": i == 0}
        for i in picked
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "base": TOP + plot_h,
        "x_title": WIDTH / 2 + LEFT / 2 - RIGHT / 2,
        "y_title": TOP + plot_h / 2,
        "bottom": HEIGHT - 6,
        "bars": bars,
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "first": days[0][0],
        "last": days[-1][0],
        "total": sum(total for _, total in days),
        "peak": peak,
    }


def nice_ceiling(value):
    """The axis top: the least of 2, 4, 10, 20, 40, 100… at or above value (even, so
    its half is a whole number)."""
    top = 2
    while top < value:
        top = top * 5 // 2 if str(top).startswith("4") else top * 2
    return top
