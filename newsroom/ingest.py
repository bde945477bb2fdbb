"""The ingest service: the one place where parsed dumps become rows.

The admin's ingest page and ``manage.py import_dump`` both call
:func:`dump_ingest`. It keeps every dump's raw bytes, writes everything else
for one dump in one transaction, never overwrites what an editor changed by
hand (it reports the difference instead), and lets the database's unique
constraints decide between concurrent imports of overlapping dumps.
"""

import difflib
import hashlib
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

import reversion
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from articles.models import (
    Article,
    ArticleRegion,
    ArticleTopic,
    Dump,
    DumpEdit,
    fit,
)
from articles.richtext import paragraphs_html
from articles.services import (
    objects_insert,
    sources_count_add,
    sources_recount,
    sources_resolve,
    suggest_regions,
    suggest_topics,
    tags_add_each,
    topic_lexicon,
    unique_slug,
)
from headlines.models import (
    Headline,
    HeadlineAppearance,
    HeadlineRegion,
    HeadlineTopic,
    fingerprint,
    title_key,
)
from headlines.services import story_assign
from newsroom.dumps import DumpError, decode, parse_dump

logger = logging.getLogger(__name__)

FILENAME_MAX = 200  # characters of a stored dump's file name (the column holds 255)
HEADLINE_MERGED_FIELDS = (
    "title",
    "summary",
    "summary_truncated",
    "time_label",
    "region_label",
    "credit",
    "source_id",
)


class Status:
    IMPORTED = "imported"
    ALREADY = "already imported"
    FAILED = "failed"
    DRY_RUN = "dry run"


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self):
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class IngestResult:
    """What one dump did (or, in a dry run, would do) to the database."""

    filename: str
    status: str
    dump: Dump | None = None
    parsed: object = None
    articles: Tally = field(default_factory=Tally)
    headlines: Tally = field(default_factory=Tally)
    sources: Tally = field(default_factory=Tally)
    tags_created: int = 0
    conflicts: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    error: str = ""
    error_line: int | None = None
    created_objects: list = field(default_factory=list)
    dropped_headlines: list = field(default_factory=list)
    orphaned_headlines: list = field(default_factory=list)

    @property
    def failed(self):
        return self.status == Status.FAILED

    def counts(self):
        return {
            "articles": self.articles.as_dict(),
            "headlines": self.headlines.as_dict(),
            "sources": self.sources.as_dict(),
            "tags_created": self.tags_created,
            "conflicts": len(self.conflicts),
        }


class _RollBack(Exception):  # noqa: N818 - control flow for dry runs, never escapes
    def __init__(self, result):
        self.result = result


def dump_ingest(
    *,
    data,
    filename="",
    user=None,
    captured_at=None,
    source=None,
    publish=False,
    dry_run=False,
    time_zone=None,
    dump=None,
):
    """Ingest one dump given as ``bytes`` (as received) or ``str``.

    ``source`` names the outlet of the dump's article; ``publish`` publishes
    it now; ``dry_run`` does all the work and rolls it back, so the result
    says exactly what an import would create and update. ``dump`` re-ingests
    an existing Dump row (after a parser fix or an edit of its text).
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    zone = ZoneInfo(time_zone) if time_zone else timezone.get_default_timezone()
    if dump is None:
        checksum = hashlib.sha256(raw).hexdigest()
        dump = Dump.objects.filter(checksum=checksum).first()
        if dump is not None and dump.status == Dump.Status.IMPORTED:
            return IngestResult(filename=filename, status=Status.ALREADY, dump=dump)
        if dump is None:
            dump = Dump(raw=raw, checksum=checksum)
        # A retry of failed bytes keeps an editor's saved text: it is the dump's
        # current text, and what is parsed below.
    dump.filename = clean_filename(filename or dump.filename, checksum=dump.checksum)
    dump.uploaded_by = user if user is not None and user.is_authenticated else dump.uploaded_by
    dump.captured_at = captured_at or dump.captured_at
    was_stored = dump.pk is not None
    result = IngestResult(filename=filename or dump.filename, status=Status.IMPORTED, dump=dump)
    try:
        parsed = parse_dump(
            dump.text or raw, captured_at=dump.captured_at, today=timezone.now().astimezone(zone)
        )
    except DumpError as error:
        return _fail(result, error.message, error.line, store=not dry_run)
    result.parsed = parsed
    result.warnings = parsed.warnings
    try:
        with transaction.atomic(), reversion.create_revision():
            # Every article or headline the import changes gets a revision too.
            reversion.set_comment(f"Imported from dump {result.filename}")
            reversion.set_user(_person(user))
            _write(result, parsed, zone=zone, source=source, publish=publish)
            if dry_run:
                raise _RollBack(result)
    except _RollBack:
        result.status = Status.DRY_RUN
        if not was_stored:
            result.dump = None  # it was never really saved
        return result
    except IntegrityError:
        # Another import stored the same bytes first: it did this work.
        stored = Dump.objects.filter(checksum=dump.checksum).first()
        if stored is not None and stored.status == Dump.Status.IMPORTED:
            return IngestResult(filename=result.filename, status=Status.ALREADY, dump=stored)
        raise
    except DatabaseError as error:
        return _fail(result, f"database error, nothing imported: {error}", None, store=True)
    except Exception as error:
        # A bug must not lose the dump: keep it as failed, with the traceback logged.
        logger.exception("ingest of %s failed", result.filename)
        return _fail(result, f"internal error, nothing imported: {error!r}", None, store=True)
    return result


def dump_preview(
    *,
    data,
    filename="",
    user=None,
    captured_at=None,
    source=None,
    publish=False,
    time_zone=None,
):
    """Store an uploaded dump once, as ``parsed``, and dry-run its import.

    The preview page shows the result and its confirm imports the stored row by
    id, so the bytes cross the network once. Bytes stored before are reused
    (their row, and an editor's text of it); bytes already imported are
    reported as such. A dump that does not parse is kept as failed.
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    checksum = hashlib.sha256(raw).hexdigest()
    dump = Dump.objects.filter(checksum=checksum).first()
    if dump is None:
        dump = Dump(raw=raw, checksum=checksum, status=Dump.Status.PARSED)
    if dump.status == Dump.Status.IMPORTED:
        return IngestResult(filename=dump.filename, status=Status.ALREADY, dump=dump)
    dump.filename = clean_filename(filename or dump.filename, checksum=checksum)
    dump.uploaded_by = _person(user) or dump.uploaded_by
    dump.captured_at = captured_at or dump.captured_at
    try:
        with transaction.atomic():
            if dump.pk is None:
                dump.save()
            else:
                dump.save(update_fields=["filename", "uploaded_by", "captured_at"])
    except IntegrityError:
        # A concurrent preview or import stored the same bytes first: use its row.
        dump = Dump.objects.get(checksum=checksum)
        if dump.status == Dump.Status.IMPORTED:
            return IngestResult(filename=dump.filename, status=Status.ALREADY, dump=dump)
    result = dump_ingest(
        data=raw,
        user=user,
        captured_at=captured_at,
        source=source,
        publish=publish,
        dry_run=True,
        time_zone=time_zone,
        dump=dump,
    )
    # The dry run's writes were rolled back; keep what the parse said, unless a
    # real import of these bytes finished meanwhile.
    Dump.objects.filter(pk=dump.pk, status__in=[Dump.Status.PARSED, Dump.Status.FAILED]).update(
        status=Dump.Status.FAILED if result.failed else Dump.Status.PARSED,
        error=result.error,
        error_line=result.error_line,
        warnings=[{"line": w.line, "message": w.message} for w in result.warnings],
        counts={},
    )
    dump.refresh_from_db(fields=["status", "error", "error_line", "warnings", "counts"])
    result.dump = dump
    result.filename = dump.filename
    return result


def clean_filename(name, *, checksum):
    """A dump's file name fit to store, show and download.

    No folders, no control or format characters (CR, LF, NUL, bidi overrides),
    at most FILENAME_MAX characters, extension kept. A name left with nothing
    that names anything (``..``, ``???``, empty) becomes ``dump-<checksum>.txt``;
    a name in any script or emoji (``🗞️``) is a name.
    """
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if not any(unicodedata.category(char)[0] in "LNS" for char in name):
        return f"dump-{checksum[:12]}.txt"
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 10:
            name = stem[: FILENAME_MAX - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:FILENAME_MAX].rstrip()
    return name


def dump_reparse(*, dump, user=None):
    """Re-read a stored dump (after a parser fix) and import it again."""
    return dump_ingest(data=dump.raw, filename=dump.filename, user=user, dump=dump)


def dump_edit(*, dump, text, user=None, dry_run=False):
    """Store an editor's corrected text for a dump and re-import it.

    The raw bytes stay exactly as received; each edit is kept with its diff.
    ``dry_run`` shows what saving would do, headlines leaving the dump
    included, and writes nothing.
    """
    try:
        with transaction.atomic():
            result = _edit(dump, text, user)
            if dry_run:
                raise _RollBack(result)
    except _RollBack as rolled_back:
        result = rolled_back.result
        if not result.failed:
            result.status = Status.DRY_RUN
        dump.refresh_from_db()
    return result


def _edit(dump, text, user):
    previous = dump_text(dump)
    if text != previous:
        diff = "".join(
            difflib.unified_diff(
                previous.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile="before",
                tofile="after",
            )
        )
        DumpEdit.objects.create(dump=dump, text=text, diff=diff, edited_by=_person(user))
        dump.text = text
        dump.save(update_fields=["text"])
    return dump_ingest(data=dump.raw, filename=dump.filename, user=user, dump=dump)


def dump_text(dump):
    """The dump's current text: the editor's last edit, else the raw bytes decoded."""
    if dump.text:
        return dump.text
    try:
        return decode(bytes(dump.raw))
    except DumpError:
        return bytes(dump.raw).decode("latin-1")


def _person(user):
    return user if user is not None and user.is_authenticated else None


def _fail(result, message, line, *, store):
    result.status = Status.FAILED
    result.error = message
    result.error_line = line
    if store:
        dump = result.dump
        dump.status = Dump.Status.FAILED
        dump.error = message
        dump.error_line = line
        dump.warnings = []
        dump.counts = {}
        try:
            dump.save()
        except IntegrityError:
            # Stored meanwhile by a concurrent import of the same bytes.
            result.dump = Dump.objects.get(checksum=dump.checksum)
    return result


def _write(result, parsed, *, zone, source, publish):
    dump = result.dump
    stored = dump.pk is not None
    dump.status = Dump.Status.PARSED
    dump.error, dump.error_line = "", None
    dump.save()

    credited = {h.source for h in parsed.headlines if h.source}
    names = credited | ({source} if source else set())
    sources, result.sources.created = sources_resolve(names=names)
    lexicon = topic_lexicon()
    tagging = []  # (objects, regions, topics, region through, topic through)
    if parsed.article:
        tagging.append(
            _write_article(result, parsed.article, sources.get(source), publish, lexicon)
        )
    tagging.append(_write_headlines(result, parsed.headlines, sources, zone, lexicon, stored))
    # Articles and headlines share the two vocabularies: one lookup of each for both.
    _tag(tagging, result)

    dump.status = Dump.Status.IMPORTED
    dump.warnings = [{"line": w.line, "message": w.message} for w in parsed.warnings]
    dump.counts = result.counts()
    dump.save(update_fields=["status", "warnings", "counts", "error", "error_line"])


def _write_article(result, parsed, source, publish, lexicon):
    title = fit(Article, "title", parsed.title)
    slug = fit(Article, "slug", unique_slug(title, prefix="article"))
    wanted = {
        "title": title,
        "dek": parsed.dek or "",
        "byline": (parsed.byline or "")[:200],
        "dek_truncated": parsed.dek_truncated,
        "body": paragraphs_html(parsed.paragraphs),
        "truncated": parsed.truncated,
    }
    if source is not None:
        wanted["source_id"] = source.pk
    if parsed.published_at is not None:  # the outlet's own date, shown instead of ours
        wanted["outlet_published_at"], wanted["outlet_date_only"] = outlet_moment(
            parsed.published_at
        )
    match = Q(slug=slug) | Q(title=title, source=source)
    article = Article.objects.filter(match).order_by("pk").first()
    now = timezone.now()
    if article is None:
        article = Article(slug=slug, dump=result.dump, imported_at=now, **wanted)
        if publish:
            article.status, article.published_at = Article.Status.PUBLISHED, now
        article.save()
        result.articles.created += 1
        result.created_objects.append(article)
    else:
        changed = _apply(article, wanted, result.conflicts)
        if publish and article.status == Article.Status.DRAFT:
            if "status" in article.edited_fields:
                result.conflicts.append(f"{_label(article)}: status kept as the editor set it")
            else:
                article.status, article.published_at = Article.Status.PUBLISHED, now
                changed.append("status")
        if changed:
            article.dump = result.dump
            article.imported_at = now
            article.save()
            result.articles.updated += 1
        else:
            result.articles.unchanged += 1
    regions = ([parsed.region] if parsed.region else []) + suggest_regions(title, parsed.dek)
    topics = suggest_topics(lexicon, title, parsed.dek)
    return [article], {article.pk: regions}, {article.pk: topics}, ArticleRegion, ArticleTopic


def _label(obj):
    return f"{obj._meta.verbose_name.capitalize()} {obj.pk} “{obj}”"


def _apply(obj, wanted, conflicts):
    """Set the wanted values, except fields an editor changed: those are reported."""
    changed = []
    for name, value in wanted.items():
        current = getattr(obj, name)
        if current == value:
            continue
        if name.removesuffix("_id") in obj.edited_fields:
            conflicts.append(f"{_label(obj)}: the editor's {name} is kept (the dump differs)")
            continue
        setattr(obj, name, value)
        changed.append(name)
    return changed


def _rank_text(text):
    """Which of two copies of a text to keep: present, then longer, then by value."""
    return (bool(text), len(text or ""), text or "")


def _best_copy(copies):
    """Merge every copy of one headline into the values it should have.

    The choice depends only on the set of copies, never on their order, so
    importing dumps in any order ends in the same rows.
    """
    summary = max(
        copies,
        key=lambda c: (
            bool(c["summary"]),
            not c["summary_truncated"],
            len(c["summary"]),
            c["summary"],
        ),
    )
    credit = max(copies, key=lambda c: _rank_text(c["credit"]))
    return {
        "title": max(c["title"] for c in copies),
        "summary": summary["summary"],
        "summary_truncated": summary["summary_truncated"],
        "time_label": max((c["time_label"] for c in copies), key=_rank_text),
        "region_label": max((c["region_label"] for c in copies), key=_rank_text),
        "credit": credit["credit"],
        "source_id": credit["source_id"],
    }


def _write_headlines(result, parsed_headlines, sources, zone, lexicon, stored):
    copies = {}  # fingerprint -> list of value dicts
    positions = []  # (fingerprint, position)
    regions, topics = {}, {}
    for parsed in parsed_headlines:
        published = timezone.make_aware(parsed.published_at, zone) if parsed.published_at else None
        title = fit(Headline, "title", parsed.title)
        key = fingerprint(title, published)
        copies.setdefault(key, []).append(
            {
                "title": title,
                "title_key": title_key(title),
                "published_at": published,
                "summary": parsed.summary or "",
                "summary_truncated": parsed.summary_truncated,
                "time_label": fit(Headline, "time_label", parsed.time_label or ""),
                "region_label": fit(Headline, "region_label", parsed.region_label or ""),
                "credit": parsed.credit or "",
                "source_id": getattr(sources.get(parsed.source), "pk", None),
            }
        )
        positions.append((key, parsed.position))
        regions.setdefault(key, set()).update(
            ([parsed.region] if parsed.region else [])
            + suggest_regions(parsed.title, parsed.summary)
        )
        topics.setdefault(key, set()).update(suggest_topics(lexicon, parsed.title, parsed.summary))
    dump = result.dump
    # A dump first stored by this transaction has no appearances yet.
    previous = (
        list(HeadlineAppearance.objects.filter(dump=dump).select_related("headline"))
        if stored
        else []
    )
    existing = Headline.objects.in_bulk(list(copies), field_name="fingerprint")
    reused = _corrected_headlines(previous, positions, copies, existing)
    existing.update(reused)
    new_keys = [key for key in copies if key not in existing]
    new_rows = [
        Headline(
            fingerprint=key,
            title_key=copies[key][0]["title_key"],
            published_at=copies[key][0]["published_at"],
            **_best_copy(copies[key]),
        )
        for key in new_keys
    ]
    # New headlines join their story (or start one) by title similarity, then are created.
    story_assign(headlines=new_rows)
    inserted = objects_insert(new_rows, key="fingerprint")
    if inserted is None:  # no INSERT ... RETURNING: read every row back
        rows = Headline.objects.in_bulk(list(copies), field_name="fingerprint")
    else:
        rows = {**existing, **{headline.fingerprint: headline for headline in inserted}}
        missing = [key for key in copies if key not in rows]
        if missing:  # a concurrent import inserted them first: its rows
            rows.update(Headline.objects.in_bulk(missing, field_name="fingerprint"))
        rows = _in_default_order(rows)
    source_before = {key: headline.source_id for key, headline in rows.items()}
    to_update, changed_fields = [], set()
    for key, headline in rows.items():
        if key not in existing:
            result.headlines.created += 1
            result.created_objects.append(headline)
            continue
        # Unedited fields merge with what the row already holds; edited ones
        # are compared with this dump alone, to report a real difference.
        from_dump = _best_copy(copies[key])
        merged = from_dump if key in reused else _best_copy(copies[key] + [_values_of(headline)])
        edited = {name for name in merged if name.removesuffix("_id") in headline.edited_fields}
        wanted = {name: from_dump[name] if name in edited else merged[name] for name in merged}
        changed = _apply(headline, wanted, result.conflicts)
        if changed:
            to_update.append(headline)
            changed_fields.update(changed)
            result.headlines.updated += 1
        else:
            result.headlines.unchanged += 1
    if to_update:
        Headline.objects.bulk_update(to_update, sorted(changed_fields | {"updated_at"}))
        for headline in to_update:
            reversion.add_to_revision(headline)
        for headline in to_update:
            headline.updated_at = timezone.now()

    appearances = {(rows[key].pk, position) for key, position in positions}
    stale = [
        (appearance.pk, appearance.headline_id)
        for appearance in previous
        if (appearance.headline_id, appearance.position) not in appearances
    ]
    if stale:
        _drop_appearances(result, stale)
    HeadlineAppearance.objects.bulk_create(
        [HeadlineAppearance(headline_id=pk, dump=dump, position=pos) for pk, pos in appearances],
        ignore_conflicts=True,
    )
    headlines = list(rows.values())
    _count_sources(rows, source_before, inserted, reused)
    return (
        headlines,
        {rows[key].pk: names for key, names in regions.items()},
        {rows[key].pk: names for key, names in topics.items()},
        HeadlineRegion,
        HeadlineTopic,
    )


def _count_sources(rows, source_before, inserted, reused):
    """Keep the sources' headline counts and last-seen times.

    Rows this import created are added to their source's figures; a source a
    row moved to or from, or whose row's time was corrected, is counted again.
    Without RETURNING the rows created are not known: all are counted again.
    """
    now = {key: headline.source_id for key, headline in rows.items()}
    if inserted is None:
        sources_recount(source_ids={*source_before.values(), *now.values()})
        return
    moved = [key for key in source_before if key in reused or now[key] != source_before[key]]
    recounted = {source_before[key] for key in moved} | {now[key] for key in moved}
    sources_recount(source_ids=recounted)  # their new rows counted with the rest
    added = {}  # source id -> (rows created, the newest one's time)
    for headline in inserted:
        if headline.source_id in recounted:
            continue
        count, newest = added.get(headline.source_id, (0, None))
        when = headline.published_at
        if newest is not None and (when is None or when < newest):
            when = newest
        added[headline.source_id] = (count + 1, when)
    sources_count_add(added=added)


def _in_default_order(rows):
    """``{fingerprint: Headline}`` in Headline's default order, as ``in_bulk`` reads them.

    Newest first, then by id, NULL times where the database sorts them: the
    order tags are linked and created rows listed in stays what it was.
    """
    nulls_largest = connection.features.nulls_order_largest
    ordered = sorted(rows.items(), key=lambda item: item[1].pk, reverse=True)
    ordered.sort(
        key=lambda item: (
            (item[1].published_at is None) == nulls_largest,
            item[1].published_at or 0,
        ),
        reverse=True,
    )
    return dict(ordered)


def _corrected_headlines(previous, positions, copies, existing):
    """Headlines of a re-imported dump whose line was corrected, by new fingerprint.

    When an edit changes a headline's title or time, the copy at that position
    is the same story: it keeps its row (and its editors' changes) instead of
    becoming a new Headline and leaving the old one behind.
    """
    gone = {a.position: a.headline for a in previous if a.headline.fingerprint not in copies}
    reused = {}
    for key, position in positions:
        old = gone.pop(position, None)
        if old is not None and key not in existing and key not in reused:
            old.fingerprint = key
            old.title_key = copies[key][0]["title_key"]
            old.published_at = copies[key][0]["published_at"]
            reused[key] = old
    if reused:
        Headline.objects.bulk_update(reused.values(), ["fingerprint", "title_key", "published_at"])
    return reused


def _values_of(headline):
    return {name: getattr(headline, name) for name in HEADLINE_MERGED_FIELDS}


def _drop_appearances(result, stale):
    """Remove a re-imported dump's old appearances; hide headlines seen nowhere else."""
    HeadlineAppearance.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
    result.dropped_headlines = list(
        Headline.objects.filter(pk__in={headline_id for _, headline_id in stale})
    )
    orphans = Headline.objects.filter(
        pk__in={headline_id for _, headline_id in stale}, appearances__isnull=True
    )
    result.orphaned_headlines = list(orphans)
    orphans.update(visible=False)


def _tag(tagging, result):
    """Attach suggested region and topic tags, unless an editor set the object's tags.

    ``tagging``: ``(objects, regions, topics, region through, topic through)``
    per kind of object.
    """
    for index, field_name in ((1, "region_tags"), (2, "topic_tags")):
        links = []
        for group in tagging:
            objects, suggestions, through = group[0], group[index], group[index + 2]
            allowed = {obj.pk for obj in objects if field_name not in obj.edited_fields}
            links.append((through, {pk: suggestions.get(pk, ()) for pk in allowed}))
        _, created = tags_add_each(links=links)
        result.tags_created += created


def outlet_moment(value):
    """``(aware datetime, date only)`` of a capture's article date; a day is its midnight."""
    date_only = not isinstance(value, datetime)
    moment = datetime.combine(value, time.min) if date_only else value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment, date_only
