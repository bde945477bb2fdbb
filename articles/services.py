"""Services of the base layer: sources and their aliases, tag vocabularies.

Each function is the one writer of what it touches; callers (the ingest
service, the admin) never write these rows themselves.
"""

import hashlib
import json
import re
from functools import cache, lru_cache
from pathlib import Path

import reversion
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from django.utils.text import slugify
from reversion.revisions import _get_options as _reversion_options
from taggit.models import ItemBase

from .images import lead_image_delete
from .models import (
    Article,
    Correction,
    Source,
    SourceAlias,
    SourceSlug,
    TopicKeyword,
    TopicTag,
    fit,
    normalize_name,
    tag_key,
)

GAZETTEER_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.json"
INSERT_BATCH = 500  # rows per INSERT: well under SQLite's 32,766 parameters


def rows_insert(model, fields, rows, *, conflict=(), update=(), returning=()):
    """Insert plain value tuples into ``model``'s table: one statement per 500 rows.

    ``bulk_create`` builds a model instance and prepares every field of every
    row; for link and counter rows of a few integer or text columns that is
    most of an import's ORM time. A row clashing with a unique constraint is
    skipped, or with ``conflict`` and ``update`` (column names) updated to the
    new values: ``INSERT ... ON CONFLICT``, the same on SQLite and PostgreSQL.
    Values go in as given (ints, strings): no field conversion, no signals.
    ``returning`` (column names) returns those columns of the rows inserted or
    updated, as tuples (``RETURNING``: the database must support it).
    """
    quote = connection.ops.quote_name
    column = {
        f: quote(model._meta.get_field(f).column) for f in (*fields, *conflict, *update, *returning)
    }
    names = ", ".join(column[f] for f in fields)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES "
    if update:
        sets = ", ".join(f"{column[f]} = EXCLUDED.{column[f]}" for f in update)
        tail = f" ON CONFLICT ({', '.join(column[f] for f in conflict)}) DO UPDATE SET {sets}"
    else:
        tail = " ON CONFLICT DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(column[f] for f in returning)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    rows = list(rows)
    size = max(1, min(INSERT_BATCH, 30000 // len(fields)))
    returned = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            cursor.execute(
                head + ", ".join([one] * len(chunk)) + tail,
                [value for row in chunk for value in row],
            )
            if returning:
                returned.extend(cursor.fetchall())
    return returned


def unique_slug(text, *, prefix):
    """A slug for any text: non-Latin names get a stable hash instead."""
    slug = slugify(text)[:180].strip("-")
    return slug or f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def objects_insert(objects, *, key=None):
    """``bulk_create(objects, ignore_conflicts=True)`` for unsaved rows of one model, leaner.

    Each field's value is made as ``bulk_create`` makes it (``pre_save``, then
    ``get_db_prep_save``: defaults, ``auto_now_add``, JSON, time zones), without
    its compiler's per-value work. Rows clashing with a unique constraint are
    skipped; like ``ignore_conflicts``, no primary keys are read back, unless
    ``key`` names a unique field (a string column): then the inserted objects
    get their primary key from the INSERT itself and the list of them is
    returned (the skipped ones are the caller's to read). Without RETURNING
    (SQLite < 3.35) that list is None: the caller reads them all back.
    """
    if not objects:
        return []
    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its proxy per value
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields] for obj in objects]
    returning = key is not None and connection.features.can_return_rows_from_bulk_insert
    pk = model._meta.pk.name
    returned = rows_insert(
        model, [f.name for f in fields], rows, returning=(pk, key) if returning else ()
    )
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias
    if not returning:
        return None
    ids = {value: row_id for row_id, value in returned}
    inserted = [obj for obj in objects if getattr(obj, key) in ids]
    for obj in inserted:
        obj.pk = ids[getattr(obj, key)]
    return inserted


def sources_recount(*, source_ids):
    """Refresh the headline count and last-seen time of these sources: one UPDATE.

    Counted from the rows, not incremented, so it is exact whatever ran before
    (a retried import, a merge, a deleted headline).
    """
    ids = sorted({pk for pk in source_ids if pk is not None})
    if not ids:
        return
    # Plain SQL: two correlated subqueries that each search the headlines'
    # (source, published_at) index; the ORM's join and GROUP BY took 20x longer.
    quote = connection.ops.quote_name
    field = Source._meta.get_field("headlines")
    source = quote(Source._meta.db_table)
    headlines = quote(field.related_model._meta.db_table)
    of_source = f"FROM {headlines} h WHERE h.{quote(field.field.column)} = {source}.{quote('id')}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {source} SET {quote('headline_count')} = (SELECT COUNT(*) {of_source}), "
            f"{quote('last_seen_at')} = (SELECT MAX(h.{quote('published_at')}) {of_source}) "
            f"WHERE {quote('id')} IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )


def sources_count_add(*, added):
    """Count new headlines into their sources: ``{source id: (how many, newest time)}``.

    One UPDATE that adds to the kept figures, whatever a source's size:
    :func:`sources_recount` counts all of a source's headlines again (10 ms at
    300,000 on SQLite, paid by every import crediting it). Only for rows this
    transaction created; a move, a deletion or a changed time recounts.
    Concurrent imports add under the row's lock, so neither count is lost.
    """
    added = sorted((pk, n, when) for pk, (n, when) in added.items() if pk is not None and n)
    if not added:
        return
    # Plain SQL, as sources_recount: the ORM's Case/When took 1.5 ms to build.
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    count, seen, pk = quote("headline_count"), quote("last_seen_at"), quote("id")
    adds = " ".join(f"WHEN {pk} = %s THEN %s" for _ in added)
    later = [(pk_, adapt(when)) for pk_, _, when in added if when is not None]
    moves = " ".join(f"WHEN {pk} = %s AND ({seen} IS NULL OR {seen} < %s) THEN %s" for _ in later)
    sets = f"{count} = {count} + CASE {adds} ELSE 0 END, {seen} = "
    sets += f"CASE {moves} ELSE {seen} END" if later else seen
    where = f"{pk} IN ({', '.join(['%s'] * len(added))})"
    params = [value for pk_, n, _ in added for value in (pk_, n)]
    params += [value for pk_, when in later for value in (pk_, when, when)]
    params += [pk_ for pk_, _, _ in added]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(Source._meta.db_table)} SET {sets} WHERE {where}", params)


def sources_resolve(*, names):
    """Map each credited name to its Source, creating Sources for new names.

    Returns ``(mapping, number of Sources created)``. Aliases match case-,
    mark- and punctuation-insensitively in every script (:func:`normalize_name`);
    names longer than the columns are cut to them. Safe against a concurrent
    import creating the same source: the unique constraints decide and the
    rows are read back. A fixed number of queries for any number of names.
    """
    keys = {}  # name as given -> folded alias key
    wanted = {}  # folded alias key -> the spelling a new Source is named by
    # Of several spellings in one batch, name a new Source by the most
    # "normal" one (not all caps), whatever order they came in.
    for name in sorted(names, key=lambda n: (n.isupper(), n.islower(), n), reverse=True):
        spelling = fit(SourceAlias, "name", name.strip())
        key = fit(SourceAlias, "normalized", normalize_name(spelling))
        if key:
            keys[name] = key
            wanted[key] = spelling
    if not wanted:
        return {}, 0
    # Aliases with their sources in one query per lookup (no in_bulk after).
    found = {
        alias.normalized: alias.source
        for alias in SourceAlias.objects.filter(normalized__in=wanted).select_related("source")
    }
    missing = {key: name for key, name in wanted.items() if key not in found}
    created = 0
    if missing:
        slugs = {key: fit(Source, "slug", unique_slug(key, prefix="source")) for key in missing}
        known_slugs = set(
            Source.objects.filter(slug__in=slugs.values()).values_list("slug", flat=True)
        )
        Source.objects.bulk_create(
            [Source(name=fit(Source, "name", missing[key]), slug=slugs[key]) for key in missing],
            ignore_conflicts=True,
        )
        by_slug = dict(Source.objects.filter(slug__in=slugs.values()).values_list("slug", "pk"))
        created = len(set(by_slug) - known_slugs)
        SourceAlias.objects.bulk_create(
            [
                SourceAlias(name=missing[key], normalized=key, source_id=by_slug[slugs[key]])
                for key in missing
            ],
            ignore_conflicts=True,
        )
        found.update(
            (alias.normalized, alias.source)
            for alias in SourceAlias.objects.filter(normalized__in=missing).select_related("source")
        )
    return {name: found[key] for name, key in keys.items()}, created


@transaction.atomic
def source_merge(*, keep, merge, user=None):
    """Fold ``merge`` into ``keep``: its headlines, articles and aliases move, it goes."""
    if keep.pk == merge.pk:
        raise ValueError("A source cannot be merged into itself.")
    merged_history(user=user, keep=keep, merge=merge)
    merge.aliases.update(source=keep)
    # Its old URL keeps working: /sources/<old slug>/ redirects to the kept one.
    merge.old_slugs.update(source=keep)
    SourceSlug.objects.get_or_create(slug=merge.slug, defaults={"source": keep})
    merge.articles.update(source=keep, version=F("version") + 1)  # open forms go stale
    merge.headlines.update(source=keep)
    if not keep.homepage_url and merge.homepage_url:
        keep.homepage_url = merge.homepage_url
        keep.save(update_fields=["homepage_url"])
    merge.delete()
    sources_recount(source_ids=[keep.pk])
    public_changed(sender=Source)
    return keep


@transaction.atomic
def tag_merge(*, keep, merge, user=None):
    """Fold tag ``merge`` into ``keep`` (same vocabulary): every use moves, it goes."""
    if type(keep) is not type(merge) or keep.pk == merge.pk:
        raise ValueError("Only two different tags of one vocabulary can be merged.")
    merged_history(user=user, keep=keep, merge=merge)
    for relation in keep._meta.related_objects:
        related = relation.related_model
        if issubclass(related, ItemBase):
            tagged_already = related.objects.filter(tag=keep).values("content_object_id")
            related.objects.filter(tag=merge, content_object_id__in=tagged_already).delete()
            related.objects.filter(tag=merge).update(tag=keep)
    if isinstance(keep, TopicTag):
        known = TopicKeyword.objects.filter(topic=keep).values_list("key", flat=True)
        merge.keywords.filter(key__in=known).delete()
        merge.keywords.update(topic=keep)
    merge.delete()
    public_changed(sender=type(keep))
    return keep


def tags_ensure(*, model, names):
    """The tags of ``model`` for these names, the missing ones created in bulk.

    Returns ``(mapping of each name as given -> tag, number of tags created)``.
    Names match by :func:`tag_key` (NFKC + casefold, computed here, never by
    the database's LOWER()), so ``Ürdün`` finds ``ürdün`` on every database;
    names longer than the column are cut to it.
    """
    keys = {}  # name as given -> key
    wanted = {}  # key -> name to create
    for name in names:
        spelling = fit(model, "name", (name or "").strip())
        if spelling:
            keys[name] = fit(model, "key", tag_key(spelling))
            wanted.setdefault(keys[name], spelling)
    if not wanted:
        return {}, 0
    existing = {tag.key: tag for tag in model.objects.filter(key__in=wanted)}
    missing = {key: name for key, name in wanted.items() if key not in existing}
    added = {}
    # A second pass gives a hashed slug to names whose plain slug is taken
    # ("Middle-East" after "Middle East").
    for make_slug in (slugify, lambda name: unique_slug(f"{name}#", prefix="tag")):
        if len(added) == len(missing):
            break
        model.objects.bulk_create(
            [
                model(
                    name=name,
                    key=key,
                    slug=fit(model, "slug", make_slug(name) or unique_slug(name, prefix="tag")),
                )
                for key, name in missing.items()
                if key not in added
            ],
            ignore_conflicts=True,
        )
        added.update((tag.key, tag) for tag in model.objects.filter(key__in=missing))
    existing.update(added)
    return {name: existing[key] for name, key in keys.items() if key in existing}, len(added)


def tags_attach(*, through, pairs):
    """Add (object id, tag) pairs to a tag through model; existing pairs are kept."""
    rows_insert(through, ("content_object", "tag"), [(pk, tag.pk) for pk, tag in pairs])


def tags_add(*, through, names_by_object):
    """Tag objects by name: ``{object id: names}``, missing tags created, old tags kept.

    The one way names become tags on rows (ingest's suggestions, the desk's
    bulk tagging): a fixed number of queries for any number of objects.
    Returns ``(mapping of name -> tag, number of tags created)``.
    """
    return tags_add_each(links=[(through, names_by_object)])


def tags_add_each(*, links):
    """:func:`tags_add` for several through models of one vocabulary at once.

    ``links``: ``[(through, {object id: names})]``, e.g. an import's article and
    its headlines: one lookup of the tags for all of them, one insert per model.
    """
    names = {name for _, wanted in links for names in wanted.values() for name in names}
    if not names:
        return {}, 0
    tags, created = tags_ensure(model=links[0][0].tag_model(), names=names)
    for through, names_by_object in links:
        tags_attach(
            through=through,
            pairs=[
                (pk, tags[name])
                for pk, wanted in names_by_object.items()
                for name in sorted(wanted)
                if name in tags
            ],
        )
    return tags, created


# Words and single marks: the units phrases are matched on ("U.S." is U . S .).
_TOKEN = re.compile(r"\w+|[^\w\s]")
TOKENS_CACHED = 1 << 16  # distinct tokens a matcher remembers: the words of many imports


class PhraseMatcher:
    """Find the longest known phrases in a text, leftmost first, in linear time.

    One alternation regex of a thousand phrases tries each one at every
    position of the text; this walks the text's tokens once and, only where a
    token can start a phrase, looks up the few spans of tokens after it. A
    phrase matches on whole words only, as ``(?<!\\w)phrase(?!\\w)`` would.
    ``fold`` maps a span (and each phrase) to its lookup key: exact by default.
    """

    def __init__(self, phrases, *, fold=None):
        self.fold = fold or (lambda text: text)
        self._starts = {}  # token as written -> can it start a phrase (its fold is a first)
        self.phrases = {self.fold(phrase): phrase for phrase in phrases}
        self.firsts = set()
        self.longest = 1
        for phrase in phrases:
            tokens = _TOKEN.findall(phrase)
            if tokens:
                self.firsts.add(self.fold(tokens[0]))
                self.longest = max(self.longest, len(tokens))

    def findall(self, text):
        """The keys of the phrases found in ``text``, in order."""
        tokens = list(_TOKEN.finditer(text))
        starts = self._starts
        found, index = [], 0
        while index < len(tokens):
            # Most tokens start no phrase: known by the token itself, not folded each time.
            token = tokens[index].group()
            first = starts.get(token)
            if first is None:
                if len(starts) >= TOKENS_CACHED:
                    starts.clear()
                first = starts[token] = self.fold(token) in self.firsts
            start = tokens[index].start()
            if first and not (start and _is_word(text[start - 1])):
                last = min(index + self.longest, len(tokens)) - 1
                for end_index in range(last, index - 1, -1):
                    end = tokens[end_index].end()
                    key = self.fold(text[start:end])
                    if key in self.phrases and not (end < len(text) and _is_word(text[end])):
                        found.append(key)
                        index = end_index
                        break
            index += 1
        return found


def _is_word(char):
    return char.isalnum() or char == "_"


@cache
def gazetteer():
    """(matcher, term -> region tag name) from the project's gazetteer file."""
    data = json.loads(GAZETTEER_PATH.read_text(encoding="utf-8"))
    terms = {term: tag for tag, entry in data.items() for term in [tag, *entry["terms"]]}
    return PhraseMatcher(terms), terms


def suggest_regions(*texts):
    """Region tag names whose country, demonym or city appears in the texts."""
    matcher, terms = gazetteer()
    return sorted({terms[match] for text in texts if text for match in matcher.findall(text)})


def topic_lexicon():
    """The editable lexicon as (matcher, keyword key -> topic names); one query."""
    return _lexicon(tuple(TopicKeyword.objects.values_list("keyword", "topic__name")))


@lru_cache(maxsize=4)
def _lexicon(rows):
    # Built once per distinct lexicon: editors change it rarely, imports read it every dump.
    entries = {}
    for keyword, topic in rows:
        entries.setdefault(tag_key(keyword), set()).add(topic)
    if not entries:
        return None, {}
    return PhraseMatcher(entries, fold=_folded), entries


@lru_cache(maxsize=1 << 16)
def _folded(text):
    # The lexicon matcher folds every token of every title: the same few thousand words.
    return tag_key(text)


def suggest_topics(lexicon, *texts):
    """Topic names whose keywords appear in the texts, matched by :func:`tag_key`."""
    matcher, entries = lexicon
    if matcher is None:
        return []
    found = set()
    for text in texts:
        for key in matcher.findall(text or ""):
            found.update(entries[key])
    return sorted(found)


@transaction.atomic
def article_set_front_lead(*, article, user=None, lead=True):
    """Pin ``article`` as the front page's lead (unpinning any other), or unpin it."""
    if lead:
        Article.objects.filter(front_lead=True).exclude(pk=article.pk).update(front_lead=False)
    article.front_lead = lead
    article.save(update_fields=["front_lead", "updated_at"])
    message = "Pinned as the front page's lead." if lead else "Unpinned from the front page."
    history_record(user=user, objects=[article], message=message)
    public_changed(sender=Article)
    return article


@transaction.atomic
def correction_add(*, article, text, user=None, corrected_at=None):
    """Publish a correction note under ``article``: shown on its page and in its JSON-LD."""
    text = (text or "").strip()
    if not text:
        raise ValueError("A correction needs its text.")
    correction = Correction.objects.create(
        article=article, text=text, corrected_at=corrected_at or timezone.now()
    )
    article.save(update_fields=["updated_at"])
    history_record(user=user, objects=[article], message=f"Correction added: {text[:150]}")
    public_changed(sender=Article)
    return correction


# The editors' desk: every change an editor makes is written here, recorded in
# the admin's history and made public at once (the page cache is told by our
# own signal, since bulk writes send no model signal).

EDIT_FIELDS = ["edited_fields", "edited_at"]


def public_changed(*, sender):
    """Tell the top layer that what public pages show has changed (the page cache)."""
    from .signals import public_content_changed

    public_content_changed.send(sender=sender)


def history_record(*, user, objects, message, flag=CHANGE):
    """One admin LogEntry per object, in one query; ``message`` is text or ``f(obj) -> text``.

    Call it before a deletion (the objects still have their ids). Changes made
    by no person (ingest, commands: ``user`` None) are not the desk's history.
    """
    objects = list(objects)
    if user is None or not objects:
        return []
    entries = [
        LogEntry(
            user_id=user.pk,
            content_type_id=ContentType.objects.get_for_model(obj, for_concrete_model=False).pk,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action_flag=flag,
            change_message=message(obj) if callable(message) else message,
        )
        for obj in objects
    ]
    return LogEntry.objects.bulk_create(entries)


def merged_history(*, user, keep, merge):
    history_record(user=user, objects=[keep], message=f"Merged “{merge}” into this one.")
    history_record(user=user, objects=[merge], message=f"Merged into “{keep}”.", flag=DELETION)


def edits_mark(*, objects, fields, now=None):
    """Remember that a person changed ``fields`` of each object: ingest never overwrites them.

    The one place edits are marked (the change forms, list edits, bulk
    actions). Sets the objects' edit fields in memory and returns the columns
    the caller's save must write (none when no field changed).
    """
    fields = set(fields)
    if not fields:
        return []
    now = now or timezone.now()
    for obj in objects:
        obj.edited_fields = sorted(set(obj.edited_fields) | fields)
        obj.edited_at = now
    return list(EDIT_FIELDS)


def revisions_add(objects, *, comment):
    """Keep a revision of rows written in bulk when the desk has one open.

    The object's History page lists revisions (compare, restore), with ``comment``.
    """
    objects = list(objects)
    if reversion.is_active() and objects:
        # What the revision follows (the admin's inlines), fetched in one query, not per row.
        follow = _reversion_options(type(objects[0])).follow
        prefetch_related_objects(objects, *follow)
        for obj in objects:
            reversion.add_to_revision(obj)
        reversion.set_comment(comment)


def publish_note(article, now=None):
    """What the desk says of an article's state: draft, published, or scheduled for a time."""
    now = now or timezone.now()
    if article.status != Article.Status.PUBLISHED or article.published_at is None:
        return "Draft: not public."
    when = timezone.localtime(article.published_at).strftime("%Y-%m-%d %H:%M %Z")
    if article.published_at > now:
        return f"Scheduled for {when}."
    return f"Published {when}."


@transaction.atomic
def article_save(*, article, user, fields=(), created=False):
    """Save an article from the desk's form; returns notes for the editor.

    "Published" with no publish time publishes now (and says so): it never
    saves a published article that no reader can see.
    """
    fields = list(fields)
    notes = []
    now = timezone.now()
    if article.status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = now
        fields.append("published_at")
        notes.append(f"No publish time was given, so it is published now: {publish_note(article)}")
    elif article.status == Article.Status.PUBLISHED and article.published_at > now:
        notes.append(f"{publish_note(article, now)} Readers will see it from then on.")
    if not created:
        edits_mark(objects=[article], fields=fields, now=now)
        if "lead_image" in fields:
            article_lead_image_replace(article=article, user=user)
    article.save()
    public_changed(sender=Article)
    return notes


LEAD_IMAGE_FIELDS = ["lead_image", "lead_image_renditions", "lead_image_width", "lead_image_height"]


@transaction.atomic
def article_lead_image_replace(*, article, user):
    """Store the article's new lead image (set on it by the form, or cleared).

    The replaced files are removed once the change commits: a failed save
    keeps the old image and its files.
    """
    old = Article.objects.values("lead_image", "lead_image_renditions").get(pk=article.pk)
    if not article.lead_image:
        article.lead_image_renditions = []
        article.lead_image_width = article.lead_image_height = None
    article.save(update_fields=LEAD_IMAGE_FIELDS)
    if old["lead_image"] and old["lead_image"] != article.lead_image.name:
        transaction.on_commit(
            lambda: lead_image_delete(old["lead_image"], old["lead_image_renditions"])
        )
    public_changed(sender=Article)


@transaction.atomic
def articles_publish(*, articles, user):
    """Publish articles now, or at their future publish time (scheduled); live ones are left."""
    now = timezone.now()
    chosen = [article for article in articles if not article.is_live]
    for article in chosen:
        article.status = Article.Status.PUBLISHED
        article.version += 1  # a form opened before this is stale (optimistic locking)
        if not (article.published_at and article.published_at > now):
            article.published_at = now
    columns = edits_mark(objects=chosen, fields=["status", "published_at"], now=now)
    Article.objects.bulk_update(chosen, ["status", "published_at", "version", *columns])
    revisions_add(chosen, comment="Published or scheduled (list action).")
    history_record(user=user, objects=chosen, message=lambda a: publish_note(a, now))
    public_changed(sender=Article)
    return chosen


@transaction.atomic
def articles_unpublish(*, articles, user):
    """Move published (or scheduled) articles back to draft."""
    chosen = [article for article in articles if article.status == Article.Status.PUBLISHED]
    for article in chosen:
        article.status = Article.Status.DRAFT
        article.version += 1
    columns = edits_mark(objects=chosen, fields=["status"])
    Article.objects.bulk_update(chosen, ["status", "version", *columns])
    revisions_add(chosen, comment="Unpublished: back to draft.")
    history_record(user=user, objects=chosen, message="Unpublished: back to draft.")
    public_changed(sender=Article)
    return chosen


@transaction.atomic
def articles_delete(*, articles, user):
    """Delete articles (their lead image files go once the deletion commits)."""
    chosen = list(articles)
    history_record(user=user, objects=chosen, message="Deleted.", flag=DELETION)
    # One by one: each deletion's signal removes that article's image files.
    for article in chosen:
        article.delete()
    public_changed(sender=Article)
    return len(chosen)
