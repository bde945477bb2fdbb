"""Services of the article editor: conflict detection (optimistic locking),
autosave working copies and presence.

``articles/services.py`` saves articles; this module only reads them, and
writes the editors' own working rows (autosaves, presence), never an article.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.http import QueryDict
from django.utils import timezone

from . import richtext
from .models import Article, Presence, WorkingCopy

# The fields two editors can both change; compared three ways (base, mine, theirs).
COMPARED = [
    "title",
    "slug",
    "dek",
    "byline",
    "dek_truncated",
    "body",
    "truncated",
    "status",
    "published_at",
    "expires_at",
    "source",
    "source_url",
    "region_tags",
    "topic_tags",
    "lead_image_alt",
    "lead_image_credit",
]
BASE_SALT = "articles.editing.base"


def normalized(name, value):
    """One comparable spelling of a field's value (from a row, a snapshot or a form)."""
    if value is None:
        return ""
    if name in ("region_tags", "topic_tags"):
        names = value.split(",") if isinstance(value, str) else value
        return ", ".join(sorted(str(getattr(n, "name", n)).strip() for n in names if str(n)))
    if name == "source":
        return str(getattr(value, "pk", value))
    if name == "body":
        return richtext.sanitize(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def article_values(article):
    """The compared fields of a saved article, normalised."""
    values = {}
    for name in COMPARED:
        if name in ("region_tags", "topic_tags"):
            value = getattr(article, name).names() if article.pk else []
        else:
            value = getattr(article, name)
        values[name] = normalized(name, value)
    return values


def base_sign(article):
    """What the form was opened on: version and values, signed (a hidden field)."""
    return signing.dumps(article_values(article), salt=BASE_SALT, compress=True)


def base_read(token):
    try:
        return signing.loads(token or "", salt=BASE_SALT)
    except signing.BadSignature:
        return {}


def shown(name, value):
    """A normalised value as an editor reads it."""
    if name == "body":
        return richtext.as_text(value)
    if name == "source" and value:
        source = Article._meta.get_field("source").related_model.objects.filter(pk=value).first()
        return str(source) if source else value
    return value or "—"


@dataclass
class Conflict:
    """A save from a form opened before someone else's save."""

    who: str
    when: datetime | None
    theirs_only: list = field(default_factory=list)  # they changed, you did not: theirs kept
    both: list = field(default_factory=list)  # (name, theirs, mine): you choose
    mine_only: list = field(default_factory=list)  # you changed, they did not: yours kept


def last_change(article):
    """Who saved the article last and when: the admin history, else the revisions."""
    from reversion.models import Version

    entry = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Article), object_id=str(article.pk)
        )
        .select_related("user")
        .order_by("-action_time")
        .first()
    )
    version = (
        Version.objects.get_for_object(article)
        .select_related("revision__user")
        .order_by("-revision__date_created")
        .first()
    )
    candidates = []
    if entry:
        candidates.append((entry.action_time, str(entry.user)))
    if version:
        revision = version.revision
        who = str(revision.user) if revision.user else (revision.comment or "an import")
        candidates.append((revision.date_created, who))
    if not candidates:
        return "someone", None
    when, who = max(candidates)
    return who, when


def conflict_find(*, article, base, mine):
    """Compare what the form was opened on (``base``), what it posts (``mine``) and
    the row now (``article``); ``mine`` holds normalised values of the form's fields."""
    theirs = article_values(article)
    who, when = last_change(article)
    conflict = Conflict(who=who, when=when)
    labels = {
        f.name: f.verbose_name for f in Article._meta.get_fields() if hasattr(f, "verbose_name")
    }
    for name in COMPARED:
        if name not in mine:
            continue
        was, now, wanted = base.get(name), theirs[name], mine[name]
        label = str(labels.get(name, name))
        if was is not None and now == was:
            if wanted != was:
                conflict.mine_only.append(label)
            continue
        if was is not None and wanted == was:
            conflict.theirs_only.append((name, label, shown(name, now)))
        elif wanted != now:
            conflict.both.append((name, label, shown(name, now), shown(name, wanted)))
    return conflict


# -- autosave: one working copy per editor and article ----------------------

# Never kept in a working copy: the token, the buttons, the review steps.
NOT_KEPT = {"csrfmiddlewaretoken", "_save", "_continue", "_addanother", "_review", "review_note"}


def working_copy_save(*, article, user, data):
    """Keep the form as typed (``data``: a QueryDict), replacing the editor's last copy.

    Not a revision and not the article: nothing public changes.
    """
    kept = {key: data.getlist(key) for key in data if key not in NOT_KEPT}
    copy, _ = WorkingCopy.objects.update_or_create(
        article=article,
        user=user,
        defaults={"data": kept, "version": article.version, "saved_at": timezone.now()},
    )
    return copy


def working_copy_for(*, article, user):
    return WorkingCopy.objects.filter(article=article, user=user).first()


def working_copy_discard(*, article, user):
    WorkingCopy.objects.filter(article=article, user=user).delete()


def working_copy_data(copy):
    """The copy as form data again."""
    data = QueryDict(mutable=True)
    for key, values in copy.data.items():
        data.setlist(key, values)
    return data


# -- presence: who else has the form open ------------------------------------

PRESENCE_SECONDS = 45  # three missed heartbeats (every 15 s) and you are gone


def presence_beat(*, article, user):
    """Record that ``user`` has the form open; return the others who have it open."""
    now = timezone.now()
    Presence.objects.update_or_create(article=article, user=user, defaults={"seen_at": now})
    others = (
        Presence.objects.filter(
            article=article, seen_at__gte=now - timedelta(seconds=PRESENCE_SECONDS)
        )
        .exclude(user=user)
        .select_related("user")
        .order_by("user__username")
    )
    return [str(presence.user) for presence in others]


def presence_leave(*, article, user):
    Presence.objects.filter(article=article, user=user).delete()
