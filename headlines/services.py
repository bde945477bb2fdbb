"""Services of the headlines layer: grouping headlines into stories, and editors' corrections.

Each function is the one writer of what it touches; the ingest service, the
admin and ``manage.py regroup_stories`` call them and never write stories
themselves. Grouping (``headlines/grouping.py``) only ever moves headlines
that no editor placed: a merge or a split locks the headlines it moved.
"""

from django.db import transaction
from django.utils import timezone

from . import grouping
from .models import Headline, Story, TermFrequency

ALL_HEADLINES = ""  # the TermFrequency row that counts every headline seen
BATCH = 500
REGROUP_CHUNK = 20  # regroup meets headlines in batches the size of a sidebar dump


def _outlet_key(headline):
    if headline.source_id:
        return f"source:{headline.source_id}"
    credit = " ".join(headline.credit.casefold().split())[:100]
    return f"credit:{credit}" if credit else ""


def _terms(headline):
    return grouping.title_terms(headline.title, headline.credit)


def _by_time(headline):
    return (headline.published_at, headline.pk)


def _reason(decision):
    return f"title similarity {decision.score:.2f} with “{decision.matched_title[:200]}”"


class _Batch:
    """Stories read once, grouped in memory, written back in bulk."""

    def __init__(self, frequencies, *, learn=True):
        self.grouper = grouping.Grouper(frequencies=frequencies, learn=learn)
        self.leads = {}  # id(StoryState) -> lead Headline (or None)
        self.outlets = {}  # id(StoryState) -> set of outlet keys
        self.first = {}  # id(StoryState) -> first publish time

    def load(self, story):
        """Make a stored story a candidate (or, for an editor's story, a fixed home)."""
        state = grouping.StoryState(
            key=story,
            last_seen=story.last_seen,
            term_counts=dict(story.term_counts),
            size=story.size,
            label=story.lead.title if story.lead else "",
            closed=story.closed,
        )
        self.leads[id(state)] = story.lead
        self.outlets[id(state)] = set(story.outlet_keys)
        self.first[id(state)] = story.first_seen
        self.grouper.add_story(state)
        return state

    def place(self, headline, state):
        """Record ``headline`` as a member of ``state``: lead, outlets, first sighting."""
        headline._story_state = state
        key = _outlet_key(headline)
        if key:
            self.outlets.setdefault(id(state), set()).add(key)
        first = self.first.get(id(state))
        if headline.published_at is not None and (first is None or headline.published_at < first):
            self.first[id(state)] = headline.published_at
        lead = self.leads.get(id(state))
        chosen = isinstance(state.key, Story) and state.key.lead_chosen
        if not chosen and (lead is None or _earlier(headline, lead)):
            self.leads[id(state)] = headline

    def write(self, headlines):
        """Create the new stories, update the others, then the headlines: a few queries."""
        for state in self.grouper.stories:
            if not isinstance(state.key, Story):
                state.key = Story()
        touched = [s for s in self.grouper.stories if s.size]
        for state in touched:
            story = state.key
            story.size = state.size
            story.term_counts = state.term_counts
            story.outlet_keys = sorted(self.outlets.get(id(state), ()))
            story.outlets = len(story.outlet_keys)
            story.last_seen = state.last_seen
            story.first_seen = self.first.get(id(state))
            lead = self.leads.get(id(state))
            if lead is not None:
                story.lead = lead
        old = [s.key for s in touched if not s.key._state.adding]
        Story.objects.bulk_create([s.key for s in touched if s.key._state.adding])
        if old:
            Story.objects.bulk_update(old, STORY_STATE, batch_size=BATCH)
        for headline in headlines:
            headline.story = headline._story_state.key
            headline.story_id = headline.story.pk
        if headlines:
            Headline.objects.bulk_update(headlines, HEADLINE_STORY, batch_size=BATCH)


STORY_STATE = ["size", "term_counts", "outlet_keys", "outlets", "first_seen", "last_seen", "lead"]
HEADLINE_STORY = ["story", "story_score", "story_reason", "story_terms"]


def _earlier(headline, other):
    if headline.published_at is None or other.published_at is None:
        return other.published_at is None and headline.published_at is not None
    return _by_time(headline) < _by_time(other)


def _frequencies(terms):
    counts = dict(
        TermFrequency.objects.filter(term__in={*terms, ALL_HEADLINES}).values_list(
            "term", "headlines"
        )
    )
    documents = counts.pop(ALL_HEADLINES, 0)
    return grouping.DocumentFrequencies(counts=counts, documents=documents)


def _save_frequencies(before, after):
    """Write the counts a batch changed: one upsert (a concurrent batch's last write wins:
    these are statistics, and a count off by a few changes no weight that matters)."""
    changed = {term: n for term, n in after.counts.items() if before.get(term) != n}
    changed[ALL_HEADLINES] = after.documents
    TermFrequency.objects.bulk_create(
        [TermFrequency(term=term[:100], headlines=n) for term, n in changed.items()],
        update_conflicts=True,
        unique_fields=["term"],
        update_fields=["headlines"],
        batch_size=BATCH,
    )


def _window(headlines, window):
    moments = [h.published_at for h in headlines if h.published_at is not None]
    if not moments:
        return Story.objects.none()
    return (
        Story.objects.filter(last_seen__gte=min(moments) - window)
        .filter(first_seen__lte=max(moments) + window)
        .select_related("lead")
    )


def _decide(batch, headline, terms):
    """A headline with no publish time has no window: a story of its own (never listed)."""
    headline.story_terms = terms
    if batch.grouper.learn:
        batch.grouper.frequencies.add(terms)
    state = grouping.StoryState(key=None, last_seen=None)
    batch.grouper.stories.append(state)
    state.add(headline.title, terms, None)
    headline.story_score, headline.story_reason = None, "no publish time: not grouped"
    return state


def _group(batch, headlines, terms):
    """Group one batch of headlines (a dump's) and note each one's score and reason.

    Greedy grouping met in a poor order left a third of a story's copies
    alone on the development set: :meth:`Grouper.assign_batch` orders the
    batch by its titles and gives lone headlines a second look.
    """
    timeless = [h for h in headlines if h.published_at is None]
    for headline in timeless:
        batch.place(headline, _decide(batch, headline, terms[headline.pk]))
    dated = [h for h in headlines if h.published_at is not None]
    items = [(h.title, terms[h.pk], h.published_at) for h in dated]
    for headline, (state, decision) in zip(dated, batch.grouper.assign_batch(items), strict=True):
        headline.story_terms = terms[headline.pk]
        if decision.story is None:
            headline.story_score, headline.story_reason = None, "first of its story"
        else:
            headline.story_score = round(decision.score, 4)
            headline.story_reason = _reason(decision)
        batch.place(headline, state)


@transaction.atomic(savepoint=False)  # ingest's own transaction is enough
def story_assign(*, headlines, window=grouping.WINDOW):
    """Put each new headline in its story: the most similar active one, or a new one.

    ``headlines`` are rows without a story (just created by ingest). They
    are compared, oldest first, with the stories last seen within ``window``
    of them and with each other. A fixed number of queries for any number
    of headlines: the stories read are those active in the window, found by
    their ``last_seen`` index, never every headline.
    """
    headlines = sorted((h for h in headlines if h.story_id is None), key=_by_time_key)
    if not headlines:
        return []
    terms = {h.pk: _terms(h) for h in headlines}
    stories = list(_window(headlines, window))
    vocabulary = {t for h in headlines for t in terms[h.pk]}
    vocabulary.update(t for story in stories for t in story.term_counts)
    frequencies = _frequencies(vocabulary)
    before = dict(frequencies.counts)
    batch = _Batch(frequencies)
    for story in stories:
        batch.load(story)
    _group(batch, headlines, terms)
    batch.write(headlines)
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
    for story in kept:
        rows = sorted(members[story.pk], key=lambda h: (h.published_at is None, _by_time_key(h)))
        counts = {}
        for headline in rows:
            for term in headline.story_terms or _terms(headline):
                counts[term] = counts.get(term, 0) + 1
        moments = [h.published_at for h in rows if h.published_at is not None]
        story.size = len(rows)
        story.term_counts = counts
        story.outlet_keys = sorted({k for k in map(_outlet_key, rows) if k})
        story.outlets = len(story.outlet_keys)
        story.first_seen = min(moments, default=None)
        story.last_seen = max(moments, default=None)
        if not story.lead_chosen or story.lead_id not in {h.pk for h in rows}:
            story.lead, story.lead_chosen = rows[0], False
    Story.objects.bulk_update(kept, [*STORY_STATE, "lead_chosen"], batch_size=BATCH)


def _by_time_key(headline):
    return (headline.published_at or timezone.now(), headline.pk)


def _by(editor):
    return f" by {editor}" if editor else ""


@transaction.atomic
def story_merge(*, stories, into=None, editor=""):
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
    Story.objects.filter(pk__in=[s.pk for s in others]).delete()
    _refresh([into])
    into.save(update_fields=["lead"])  # a signal: the site's pages change
    return into


@transaction.atomic
def story_split(*, headline, editor=""):
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
    return new


@transaction.atomic
def story_set_lead(*, story, headline, editor=""):
    """Make ``headline`` the copy the story is shown by.

    Choosing the lead is an editor accepting the story as it stands: its
    headlines are locked there too, so a regroup keeps both.
    """
    if headline.story_id != story.pk:
        raise ValueError("The lead copy must be one of the story's headlines.")
    Headline.objects.filter(story=story).update(story_locked=True)
    story.lead = headline
    story.lead_chosen = True
    story.save(update_fields=["lead", "lead_chosen"])
    return story


def stories_regroup(*, since=None, dry_run=False, progress=None, window=grouping.WINDOW):
    """Group again every headline (published since ``since``) that no editor placed.

    Headlines are taken in time order, as ingest meets them, weighed with
    the stored term frequencies; those an editor placed stay in their story
    and count in its state. A headline that starts a story keeps its former
    story's row when it can, so story pages keep their address. Returns
    ``(headlines, moved)``; ``progress(n)`` is called as batches are done.
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
    vocabulary = {t for h in rows for t in h.story_terms}
    batch = _Batch(_frequencies(vocabulary), learn=False)
    if since is not None:
        # Stories told before ``since`` are candidates, as at ingest.
        earlier = Story.objects.filter(last_seen__gte=since - window, last_seen__lt=since)
        for story in earlier.select_related("lead"):
            batch.load(story)
    locked = {h.story_id for h in rows if h.story_locked and h.story_id}
    fixed, reused = {}, set()
    terms = {h.pk: h.story_terms for h in rows}
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
            batch.grouper.join(state, headline.title, terms[headline.pk], headline.published_at)
            batch.place(headline, state)
        _group(batch, free, terms)
        for headline in free:
            state, former = headline._story_state, previous[headline.pk]
            free_row = former is not None and former not in reused and former not in locked
            if free_row and not isinstance(state.key, Story):
                state.key = headline.story  # a new story keeps a former story's row
                reused.add(former)
        if progress:
            progress(len(chunk))
    batch.write(rows)
    emptied = set(previous.values()) - {h.story_id for h in rows} - {None}
    _refresh(list(Story.objects.filter(pk__in=emptied)))
    _refresh([h.story for h in rows])
    moved = sum(1 for h in rows if h.story_id != previous[h.pk])
    return len(rows), moved
