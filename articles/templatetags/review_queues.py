"""The dashboard's review queues: "awaiting review" for editors, "sent back" for reporters."""

from django import template

from articles import review

register = template.Library()
QUEUE_LENGTH = 20


@register.inclusion_tag("admin/includes/review_queues_list.html", takes_context=True)
def review_queues(context):
    user = context["request"].user
    queues = []
    if review.can_publish(user):
        queues.append(("Awaiting review", list(review.awaiting_review()[:QUEUE_LENGTH])))
    if user.has_perm("articles.change_article"):
        queues.append(("Sent back to you", list(review.sent_back_to(user)[:QUEUE_LENGTH])))
    return {"queues": queues}
