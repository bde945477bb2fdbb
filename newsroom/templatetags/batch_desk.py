"""The dashboard's batch panel: batches still importing, and the watched inbox."""

from django import template
from django.conf import settings

from newsroom.batches import batches_running
from newsroom.inbox import inbox_state

register = template.Library()


@register.inclusion_tag("admin/includes/batch_desk.html", takes_context=True)
def batch_desk(context):
    # Included from the dashboard's own inclusion tag: the request rides on the context.
    request = getattr(context, "request", None)
    if request is None or not request.user.has_perm("articles.view_batch"):
        return {"visible": False}
    return {
        "visible": True,
        "running": batches_running(),
        "inbox": inbox_state(settings.INBOX_DIR),
    }
