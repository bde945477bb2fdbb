"""Services of the headlines layer: grouping headlines into stories, and editors' corrections.

Each function is the one writer of what it touches; the ingest service, the
admin and ``manage.py regroup_stories`` call them and never write stories
themselves. Grouping (``headlines/grouping.py``) only ever moves headlines
that no editor placed: a merge, a split or a chosen lead locks the headlines
of the story, and a split-out story is closed to grouping.
"""

import json

from django.contrib.admin.models import DELETION
from django.db import connection, transaction
from django.utils import timezone

from articles.services import (
    edits_mark,
    history_record,
    public_changed,
    revisions_add,
    rows_insert,
    sources_recount,
    tags_add,
)

from . import grouping
from .models import Headline, HeadlineRegion, HeadlineTopic, Story, TermFrequency

ALL_HEADLINES = ""  # the TermFrequency row that counts every headline seen
BATCH = 500
FREQUENCY_CHUNK = 5000  # terms per read of their counts
REGROUP_CHUNK = 20  # regroup meets headlines in batches the size of a sidebar dump
STORY_STATE = [
    "title",
    "size",
    "term_counts",
    "outlet_keys",
    "outlets",
    "first_seen",
    "last_seen",
]
HEADLINE_STORY = ["story", "story_score", "story_reason", "story_terms"]


def _outlet_key(headline):
    if headline.source_id:
        return f"source:{headline.source_id}"
    credit = " ".join(headline.credit.casefold().split())[:100]
    return f"credit:{credit}" if credit else ""


def _terms(headline):
    return grouping.title_terms(headline.title, headline.credit)


def _earliest_first(headline):
    # Unsaved headlines (ingest assigns before it creates) have no pk yet.
    moment = headline.published_at or timezone.now()
    return (headline.published_at is None, moment, headline.pk or 0, headline.title)


def _reason(decision):
    return f"title similarity {decision.score:.2f} with “{decision.matched_title[:200]}”"


class _Batch:
    """Stories read once, grouped in memory, written back in bulk."""

    def __init__(self, frequencies, *, learn=True):
        self.grouper = grouping.Grouper(frequencies=frequencies, learn=learn)
        self.outlets = {}  # id(StoryState) -> set of outlet keys
        self.first = {}  # id(StoryState) -> (first publish time, its title)

    def load(self, story, *, terms=None):
        """Make a stored story a candidate (its terms' frequencies must be at hand).

        ``terms``: the only terms it will be looked up by (the batch's).
        """
        state = grouping.StoryState(
            key=story,
            last_seen=story.last_seen,
            term_counts=dict(story.term_counts),
            size=story.size,
            label=story.title,
            closed=story.closed,
        )
        self.outlets[id(state)] = set(story.outlet_keys)
        if story.first_seen is not None:
            self.first[id(state)] = (story.first_seen, story.title)
        self.grouper.add_story(state, terms=terms)
        return state

    def place(self, headline, state):
        """Record ``headline`` as a member of ``state``: outlets, first sighting, lead title."""
        headline._story_state = state
        key = _outlet_key(headline)
        if key:
            self.outlets.setdefault(id(state), set()).add(key)
        first = self.first.get(id(state))
        if headline.published_at is not None and (
            first is None or headline.published_at < first[0]
        ):
            self.first[id(state)] = (headline.published_at, headline.title)
        elif first is None:
            self.first[id(state)] = (None, headline.title)

    def write(self, headlines, *, saved):
        """Create the new stories, update the others; then the headlines if ``saved`` rows.

        Ingest passes unsaved headlines: it creates them after, already in their story.
        """
        for state in self.grouper.stories:
            if not isinstance(state.key, Story):
                state.key = Story()
        # Only stories a headline joined are written: the others are as stored.
        touched = [s for s in self.grouper.stories if s.size and s.changed]
        for state in touched:
            story = state.key
            first_seen, title = self.first.get(id(state), (None, ""))
            story.size = state.size
            story.term_counts = state.term_counts
            story.outlet_keys = sorted(self.outlets.get(id(state), ()))
            story.outlets = len(story.outlet_keys)
            story.last_seen = state.last_seen
            story.first_seen = first_seen
            if story.lead_id is None:  # an editor's lead keeps its title
                story.title = title[:500]
        old = sorted((s.key for s in touched if not s.key._state.adding), key=lambda s: s.pk)
        Story.objects.bulk_create([s.key for s in touched if s.key._state.adding])
        if old:
            # An upsert on the primary key: one plain INSERT ... ON CONFLICT, far
            # cheaper to build than bulk_update's CASE per field and row.
            Story.objects.bulk_create(
                old,
                update_conflicts=True,
                unique_fields=["id"],
                update_fields=STORY_STATE,
                batch_size=BATCH,
            )
        for headline in headlines:
            headline.story = headline._story_state.key
        if saved and headlines:
            Headline.objects.bulk_update(headlines, HEADLINE_STORY, batch_size=BATCH)


def _frequencies(terms):
    # Plain SQL: a window's stories hold thousands of terms, and the ORM's IN
    # lookup prepares each one. PostgreSQL and SQLite take them all as one
    # parameter (an array, a JSON list: half the time of binding each term);
    # elsewhere chunks stay under the parameter limit.
    wanted = sorted({*terms, ALL_HEADLINES})
    table = connection.ops.quote_name(TermFrequency._meta.db_table)
    select = f"SELECT term, headlines FROM {table} WHERE term "
    if connection.vendor == "postgresql":
        queries = [(select + "= ANY(%s)", [wanted])]
    elif connection.vendor == "sqlite":
        listed = json.dumps(wanted, ensure_ascii=False)
        queries = [(select + "IN (SELECT value FROM json_each(%s))", [listed])]
    else:
        chunks = [wanted[i : i + FREQUENCY_CHUNK] for i in range(0, len(wanted), FREQUENCY_CHUNK)]
        queries = [(select + f"IN ({', '.join(['%s'] * len(c))})", c) for c in chunks]
    counts = {}
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            counts.update(cursor.fetchall())
    documents = counts.pop(ALL_HEADLINES, 0)
    return grouping.DocumentFrequencies(counts=counts, documents=documents)


def _save_frequencies(before, after):
    """Write the counts a batch changed: one upsert.

    Two imports at once may each write their own count (the last wins): these
    are statistics, and a count off by a few changes no weight that matters.
    """
    changed = {term: n for term, n in after.counts.items() if before.get(term) != n}
    changed[ALL_HEADLINES] = after.documents
    rows_insert(
        TermFrequency,
        ("term", "headlines"),
        # In term order: concurrent imports lock shared rows in one order, never a deadlock.
        [(term, changed[term]) for term in sorted(changed)],
        conflict=("term",),
        update=("headlines",),
    )


def _window(headlines, window):
    moments = [h.published_at for h in headlines if h.published_at is not None]
    if not moments:
        return Story.objects.none()
    return Story.objects.filter(
        last_seen__gte=min(moments) - window,
        first_seen__lte=max(moments) + window,
        closed=False,
    )


def _alone(batch, headline, terms):
    """A headline with no publish time has no window: a story of its own (never listed)."""
    if batch.grouper.learn:
        batch.grouper.frequencies.add(terms)
    state = grouping.StoryState(key=None, last_seen=None)
    batch.grouper.stories.append(state)
    state.add(headline.title, terms, None)
    headline.story_score, headline.story_reason = None, "no publish time: not grouped"
    return state


def _group(batch, headlines):
    """Group one batch of headlines (a dump's) and note each one's score and reason.

    Greedy grouping met in a poor order left a third of a story's copies
    alone on the development set: :meth:`Grouper.assign_batch` orders the
    batch by its titles and gives lone headlines a second look.
    """
    dated = []
    for headline in headlines:
        if headline.published_at is None:
            batch.place(headline, _alone(batch, headline, headline.story_terms))
        else:
            dated.append(headline)
    items = [(h.title, h.story_terms, h.published_at) for h in dated]
    for headline, (state, decision) in zip(dated, batch.grouper.assign_batch(items), strict=True):
        if decision.story is None:
            headline.story_score, headline.story_reason = None, "first of its story"
        else:
            headline.story_score = round(decision.score, 4)
            headline.story_reason = _reason(decision)
        batch.place(headline, state)


@transaction.atomic(savepoint=False)  # ingest's own transaction is enough
def story_assign(*, headlines, window=grouping.WINDOW):
    """Put each new headline in its story: the most similar active one, or a new one.

    ``headlines`` are new, unsaved rows (ingest creates them right after,
    story set). They are compared with the stories last seen within
    ``window`` of them, and with each other. Five queries for any number of
    headlines: the stories read are those active in the window, found by
    their ``last_seen`` index, never every headline.
    """
    headlines = sorted(headlines, key=_earliest_first)
    if not headlines:
        return []
    for headline in headlines:
        headline.story_terms = _terms(headline)
    vocabulary = {t for h in headlines for t in h.story_terms}
    # Only a story sharing a term with the batch can be a candidate: the others
    # are never scored nor changed, so neither they nor their terms are needed.
    stories = [s for s in _window(headlines, window) if not vocabulary.isdisjoint(s.term_counts)]
    # A candidate's centroid weighs all its terms: their frequencies are read too.
    frequencies = _frequencies(vocabulary.union(*(s.term_counts for s in stories)))
    before = dict(frequencies.counts)
    batch = _Batch(frequencies)
    for story in stories:
        batch.load(story, terms=vocabulary)
    _group(batch, headlines)
    batch.write(headlines, saved=False)
    _save_frequencies(before, frequencies)
    return headlines


def _refresh(stories):
    """Recompute stories' state from their headlines; delete those left empty.

    A few queries per thousand stories."""
    stories = list({s.pk: s for s in stories if s is not None and s.pk}.values())
    if not stories:
        return
    members = {}
    for start in range(0, len(stories), BATCH):
        chunk = [s.pk for s in stories[start : start + BATCH]]
        for headline in Headline.objects.filter(story__in=chunk).only(
            "pk", "story_id", "title", "credit", "published_at", "source_id", "story_terms"
        ):
            members.setdefault(headline.story_id, []).append(headline)
    empty = [s.pk for s in stories if s.pk not in members]
    if empty:
        Story.objects.filter(pk__in=empty).delete()
    kept = [s for s in stories if s.pk in members]
    for rows in members.values():
        for headline in rows:
            headline.story_terms = headline.story_terms or _terms(headline)
    for story in kept:
        rows = sorted(members[story.pk], key=_earliest_first)
        counts = {}
        for headline in rows:
            for term in headline.story_terms:
                counts[term] = counts.get(term, 0) + 1
        moments = [h.published_at for h in rows if h.published_at is not None]
        story.size = len(rows)
        story.term_counts = grouping.kept_terms(counts)
        story.outlet_keys = sorted({k for k in map(_outlet_key, rows) if k})
        story.outlets = len(story.outlet_keys)
        story.first_seen = min(moments, default=None)
        story.last_seen = max(moments, default=None)
        lead = {h.pk: h for h in rows}.get(story.lead_id)
        story.lead = lead  # an editor's lead that left the story no longer leads
        story.title = (lead or rows[0]).title
    Story.objects.bulk_update(kept, [*STORY_STATE, "lead"], batch_size=BATCH)


def _by(editor):
    return f" by {editor}" if editor else ""


@transaction.atomic
def story_merge(*, stories, into=None, editor="", user=None):
    """Merge stories into one (``into``, else the earliest): an editor's decision.

    Every headline of the merged story is locked there, so neither a later
    import nor ``regroup_stories`` ever takes it out again.
    """
    stories = sorted({s.pk: s for s in stories}.values(), key=lambda s: s.pk)
    if into is None:
        into = min(stories, key=lambda s: (s.first_seen is None, s.first_seen or 0, s.pk))
    others = [s for s in stories if s.pk != into.pk]
    if not others:
        raise ValueError("Choose at least two stories to merge.")
    Headline.objects.filter(story__in=others).update(
        story=into,
        story_locked=True,
        story_score=None,
        story_reason=f"editor merge{_by(editor)}",
    )
    Headline.objects.filter(story=into).update(story_locked=True)
    ids = ", ".join(str(s.pk) for s in others)
    history_record(user=user, objects=[into], message=f"Merged stories {ids} into this one.")
    history_record(
        user=user, objects=others, message=f"Merged into story {into.pk}.", flag=DELETION
    )
    Story.objects.filter(pk__in=[s.pk for s in others]).delete()
    _refresh([into])
    into.save(update_fields=["title"])
    public_changed(sender=Story)
    return into


@transaction.atomic
def story_split(*, headline, editor="", user=None):
    """Take a headline out of its story into a story of its own, for good.

    The new story is closed to grouping: no copy joins it by similarity, so
    neither an import nor a regroup puts the headline back with the others.
    """
    old = headline.story
    if old is not None and old.size <= 1:
        raise ValueError("This headline is already alone in its story.")
    new = Story.objects.create(closed=True)
    headline.story = new
    headline.story_locked = True
    headline.story_score = None
    headline.story_reason = f"editor split{_by(editor)}" + (f" from story {old.pk}" if old else "")
    headline.save(update_fields=["story", "story_locked", "story_score", "story_reason"])
    _refresh([old, new])
    new.refresh_from_db()
    history_record(
        user=user, objects=[headline], message=f"Split out of story {old.pk if old else '-'}."
    )
    public_changed(sender=Story)
    return new


@transaction.atomic
def story_set_lead(*, story, headline, editor="", user=None):
    """Make ``headline`` the copy the story is shown by.

    Choosing the lead is an editor accepting the story as it stands: its
    headlines are locked there too, so a regroup keeps both.
    """
    if headline.story_id != story.pk:
        raise ValueError("The lead copy must be one of the story's headlines.")
    Headline.objects.filter(story=story).update(story_locked=True)
    story.lead = headline
    story.title = headline.title
    story.save(update_fields=["lead", "title"])
    history_record(user=user, objects=[story], message=f"Lead copy set to “{headline}”.")
    public_changed(sender=Story)
    return story


def stories_regroup(*, since=None, dry_run=False, progress=None, window=grouping.WINDOW):
    """Group again every headline (published since ``since``) that no editor placed.

    Headlines are taken in time order, in batches the size of a dump, as
    ingest meets them, weighed with the stored term frequencies; those an
    editor placed stay in their story and count in its state. A headline that
    starts a story keeps its former story's row when it can, so story pages
    keep their address. Returns ``(headlines, moved)``; ``progress(n)`` is
    called as batches are done.
    """
    with transaction.atomic():
        result = _regroup(since=since, progress=progress, window=window)
        if dry_run:
            transaction.set_rollback(True)
    return result


def _regroup(*, since, progress, window):
    headlines = Headline.objects.filter(published_at__isnull=False).select_related("story")
    if since is not None:
        headlines = headlines.filter(published_at__gte=since)
    rows = list(headlines.order_by("published_at", "pk"))
    if not rows:
        return 0, 0
    previous = {h.pk: h.story_id for h in rows}
    for headline in rows:
        headline.story_terms = headline.story_terms or _terms(headline)
    earlier = []
    if since is not None:
        # Stories told before ``since`` are candidates, as at ingest.
        earlier = list(
            Story.objects.filter(last_seen__gte=since - window, last_seen__lt=since, closed=False)
        )
    vocabulary = {t for h in rows for t in h.story_terms}
    vocabulary.update(t for story in earlier for t in story.term_counts)
    batch = _Batch(_frequencies(vocabulary), learn=False)
    for story in earlier:
        batch.load(story)
    locked = {h.story_id for h in rows if h.story_locked and h.story_id}
    fixed, reused = {}, set()
    for start in range(0, len(rows), REGROUP_CHUNK):
        chunk = rows[start : start + REGROUP_CHUNK]
        free = []
        for headline in chunk:
            story = headline.story
            if not (headline.story_locked and story is not None):
                free.append(headline)
                continue
            state = fixed.get(story.pk)
            if state is None:
                state = grouping.StoryState(key=story, last_seen=None, closed=story.closed)
                fixed[story.pk] = state
                batch.grouper.add_story(state)
            batch.grouper.join(state, headline.title, headline.story_terms, headline.published_at)
            batch.place(headline, state)
        _group(batch, free)
        for headline in free:
            state, former = headline._story_state, previous[headline.pk]
            free_row = former is not None and former not in reused and former not in locked
            if free_row and not isinstance(state.key, Story):
                state.key = headline.story  # a new story keeps a former story's row
                reused.add(former)
        if progress:
            progress(len(chunk))
    batch.write(rows, saved=True)
    emptied = set(previous.values()) - {h.story_id for h in rows} - {None}
    _refresh(list(Story.objects.filter(pk__in=emptied)))
    _refresh([h.story for h in rows])
    moved = sum(1 for h in rows if h.story_id != previous[h.pk])
    return len(rows), moved


# The editors' desk: each change is marked as an editor's (ingest keeps it),
# kept in the admin's history, and made public at once.


@transaction.atomic
def headline_save(*, headline, user, fields=(), created=False):
    """Save a headline from its change form or a list edit (Visible, Pinned)."""
    if not created:
        edits_mark(objects=[headline], fields=fields)
    before = Headline.objects.filter(pk=headline.pk).values_list("source_id", flat=True).first()
    headline.save()
    if created or before != headline.source_id:
        sources_recount(source_ids=[before, headline.source_id])
    public_changed(sender=Headline)
    return headline


def _headlines_set(*, headlines, user, message, edited=(), **values):
    headlines = list(headlines)
    for headline in headlines:
        for name, value in values.items():
            setattr(headline, name, value)
    columns = edits_mark(objects=headlines, fields=[*values, *edited])
    Headline.objects.bulk_update(headlines, [*values, *columns])
    revisions_add(headlines, comment=message)
    history_record(user=user, objects=headlines, message=message)
    public_changed(sender=Headline)
    return headlines


@transaction.atomic
def headlines_hide(*, headlines, user):
    return _headlines_set(
        headlines=headlines, user=user, message="Hidden from the sidebar.", visible=False
    )


@transaction.atomic
def headlines_show(*, headlines, user):
    return _headlines_set(
        headlines=headlines, user=user, message="Shown in the sidebar.", visible=True
    )


@transaction.atomic
def headlines_pin(*, headlines, user):
    return _headlines_set(
        headlines=headlines, user=user, message="Pinned to the top of the sidebar.", pinned=True
    )


@transaction.atomic
def headlines_unpin(*, headlines, user):
    return _headlines_set(headlines=headlines, user=user, message="Unpinned.", pinned=False)


@transaction.atomic
def headlines_tag(*, headlines, user, regions=(), topics=()):
    """Add region and topic tags (names as typed, one tag each) to every headline."""
    headlines = list(headlines)
    edited, said = [], []
    for through, names, field, label in (
        (HeadlineRegion, regions, "region_tags", "regions"),
        (HeadlineTopic, topics, "topic_tags", "topics"),
    ):
        if names:
            tags_add(through=through, names_by_object={h.pk: names for h in headlines})
            edited.append(field)
            said.append(f"{label} {', '.join(names)}")
    if not edited:
        return headlines
    return _headlines_set(
        headlines=headlines, user=user, message=f"Tagged: {'; '.join(said)}.", edited=edited
    )


@transaction.atomic
def headlines_set_source(*, headlines, user, source):
    headlines = list(headlines)
    before = {headline.source_id for headline in headlines}
    done = _headlines_set(
        headlines=headlines, user=user, message=f"Source set to “{source}”.", source=source
    )
    sources_recount(source_ids=before | {getattr(source, "pk", None)})
    return done


@transaction.atomic
def headlines_delete(*, headlines, user):
    headlines = list(headlines)
    history_record(user=user, objects=headlines, message="Deleted.", flag=DELETION)
    Headline.objects.filter(pk__in=[h.pk for h in headlines]).delete()
    sources_recount(source_ids={h.source_id for h in headlines})
    public_changed(sender=Headline)
    return len(headlines)
