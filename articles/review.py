"""Review before publishing: the states, the transitions and their one writer.

States (``Article.review_state``)::

    ""  (not in review) --submit--> submitted --approve--> ""  (published or scheduled)
                                     submitted --send_back(note)--> sent_back --submit--> ...

Reporters (no ``articles.publish_article``) submit; Editors approve or send back.
A reporter's changes to a live article are kept as a ``PendingChange`` and
reach the page only when an editor approves them. Every transition is a
``ReviewEvent`` (who, when, the note).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import Article, PendingChange, ReviewEvent
from .services import article_save, articles_publish, history_record

PUBLISH = "articles.publish_article"
SUBMITTED, SENT_BACK, NONE = "submitted", "sent_back", ""
# action: (states it may start from, state it ends in, needs PUBLISH)
TRANSITIONS = {
    "submit": ({NONE, SENT_BACK}, SUBMITTED, False),
    "approve": ({SUBMITTED}, NONE, True),
    "send_back": ({SUBMITTED}, SENT_BACK, True),
}
# What a reporter's pending change may carry (publishing fields are never among them).
PENDING_FIELDS = [
    "title",
    "slug",
    "dek",
    "byline",
    "dek_truncated",
    "body",
    "truncated",
    "source",
    "source_url",
    "region_tags",
    "topic_tags",
    "lead_image_alt",
    "lead_image_credit",
]


def can_publish(user):
    return user.has_perm(PUBLISH)


def allowed(*, article, user, action):
    starts, _end, needs_publish = TRANSITIONS[action]
    return article.review_state in starts and (can_publish(user) or not needs_publish)


@transaction.atomic
def review_transition(*, article, user, action, note=""):
    """Move ``article`` through its review; refused (PermissionDenied) when not allowed."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    if not allowed(article=article, user=user, action=action):
        raise PermissionDenied(f"{action} is not allowed here.")
    _starts, end, _ = TRANSITIONS[action]
    if action == "approve":
        pending = PendingChange.objects.filter(article=article).first()
        if pending is not None:
            pending_apply(article=article, pending=pending, user=user)
        article.review_state = end
        article.save(update_fields=["review_state"])
        articles_publish(articles=[article], user=user)  # now, or at its future time
    else:
        article.review_state = end
        article.save(update_fields=["review_state"])
    event = ReviewEvent.objects.create(
        article=article, action=action, state=end, user=user, note=note.strip()
    )
    message = {"submit": "Submitted for review.", "approve": "Approved.", "send_back": "Sent back."}
    history_record(
        user=user, objects=[article], message=message[action] + (f" {note}" if note else "")
    )
    return event


def pending_save(*, article, user, values):
    """Keep a reporter's changes to a live article apart (replacing earlier ones)."""
    values = {name: value for name, value in values.items() if name in PENDING_FIELDS}
    pending, created = PendingChange.objects.get_or_create(
        article=article, defaults={"values": values, "author": user}
    )
    if not created:
        pending.values = {**pending.values, **values}
        pending.author, pending.updated_at = user, timezone.now()
        pending.save()
    return pending


def pending_apply(*, article, pending, user):
    from .models import Source

    fields = []
    for name, value in pending.values.items():
        if name in ("region_tags", "topic_tags"):
            getattr(article, name).set(value)
        elif name == "source":
            article.source = Source.objects.filter(pk=value).first() if value else None
        else:
            setattr(article, name, value)
        fields.append(name)
    article_save(article=article, user=user, fields=fields)
    pending.delete()


def awaiting_review():
    return Article.objects.filter(review_state=SUBMITTED).order_by("-updated_at")


def sent_back_to(user):
    """Articles sent back whose last submission was ``user``'s."""
    submitted_by = ReviewEvent.objects.filter(action="submit", user=user).values("article")
    return Article.objects.filter(review_state=SENT_BACK, pk__in=submitted_by).order_by(
        "-updated_at"
    )
