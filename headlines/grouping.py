"""Story grouping by title similarity: plain Python, no Django.

A story is the headlines of several outlets about one event. Each new
headline is compared with the stories active in a time window and joins the
most similar one when the similarity reaches a threshold, else it starts a
story of its own. Similarity is the cosine between the TF-IDF vector of the
normalised title's word stems and the story's centroid; document frequencies are
learnt as headlines arrive (the caller stores them), so words every outlet
uses ("says", "stocks") weigh little and names weigh much.

Candidates come from an inverted index (term -> stories holding it), so a
headline is only compared with stories that share one of its terms, never
with every story of the window. ``bench/story_grouping.py`` measures the
choices made here (threshold, features, link) on the development set.
"""

import heapq
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import repeat
from operator import mul

WINDOW = timedelta(hours=48)
# Chosen on the development set (bench/story_grouping.py prints the table):
# cosine with a story's centroid >= 0.15, and >= 0.30 / sqrt(size) for small
# stories, so a lone headline needs a close match (B3 P 0.88, F1 0.67 there
# in dumps of 20; P 0.89 on a sparse tenth of it). Word bigrams and character
# 4-grams scored no better for their cost.
THRESHOLD = 0.15
PAIR_THRESHOLD = 0.30

NORM_REFRESH = 4
MEMBERS_NAMED = 20  # how many of a story's latest copies a reason may name
PRIOR_DOCUMENTS = 1000  # about a day of sidebar headlines
# A story's centroid keeps its most-held terms, between TERMS_KEPT and twice as
# many: an import's work on a story (reading its terms and their frequencies,
# weighing its norm, writing it back) is then bounded however large it grows.
# The terms it drops are each held by few of its members and weigh little in it.
TERMS_KEPT = 128
MAX_WORD = 40
BIGRAMS = False
CHAR_GRAMS = 0

_QUOTES = str.maketrans(dict.fromkeys('‘’‚‛′`´“”„‟″«»‹›"', "'"))
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
# Wire-service slugs at the start of a title: "UPDATE 2-", "EXCLUSIVE-",
# "RPT-", "ECB FOCUS-", "METALS-": words of 3+ capitals glued to a dash
# ("US-China" keeps its "US"; "NATO-Russia" loses "NATO", a known cost).
_WIRE_PREFIX = re.compile(
    r"^(?:(?:UPDATE|CORRECTED|REFILE|RPT|EXCLUSIVE|WRAPUP|INSIGHT|ANALYSIS"
    r"|[A-Z]{3,}(?: [A-Z]{2,}){0,3})(?: \d+)?-(?=\S))+",
)
_WIRE_WORDS = re.compile(
    r"^(?:update|corrected|refile|rpt|exclusive|wrapup|insight|analysis)(?: \d+)?-", re.I
)
_SUFFIX = re.compile(r"\s+[-|:–—]\s+([^-|:–—]{2,60})$")
_CUT_MARK = re.compile(r"\s*(?:…|\.\.\.)\s*$")
_WORD = re.compile(r"[^\W_]+(?:[.'][^\W_]+)*", re.UNICODE)
_NUMBER_WORDS = {
    word: str(n)
    for n, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_NUMBER_WORDS.update({"dozen": "12", "hundred": "100", "thousand": "1000", "million": "m"})
_STOPWORDS = frozenset(
    """a an the and or but nor of to in on at by for with from as into onto over under
    about after before up down out off than then so if is are was were be been being am
    it its it's this that these those he she they we you i his her their our your my me
    him them us who whom whose which what when where why how all any some no not only
    very can could will would shall should may might must do does did has have had
    s t new says said say more most just also amid via vs v""".split()
)


def _outlet_words(publisher):
    return {w for w in _WORD.findall(_fold(publisher)) if w not in _STOPWORDS}


def _fold(text):
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _DASHES.sub("-", text).casefold()


def normalise_title(title, publisher=""):
    """The title as words to compare: no wire slug, no outlet suffix, no cut mark.

    ``UPDATE 2-Fed's Plosser says ... - Reuters`` and ``Fed's Plosser says``
    normalise alike. The suffix after a final `` - ``/`` | `` goes only when
    it names the outlet (one of the publisher's words), so ``ECB unlikely to
    end purchases - traders`` keeps its last word.
    """
    text = unicodedata.normalize("NFKC", title).translate(_QUOTES)
    text = _DASHES.sub("-", text).strip()
    text = _CUT_MARK.sub("", text)
    # Capitals-only slugs are told apart from a title's first word by case,
    # so strip them before folding case.
    text = _WIRE_PREFIX.sub("", text) if _looks_like_slug(text) else _WIRE_WORDS.sub("", text)
    suffix = _SUFFIX.search(text)
    if suffix and publisher:
        words = set(_WORD.findall(_fold(suffix[1])))
        if words and words <= (_outlet_words(publisher) | _STOPWORDS | {"com", "news"}):
            text = text[: suffix.start()]
    return " ".join(_fold(text).split())


def _looks_like_slug(text):
    head = text.split("-", 1)[0]
    return "-" in text and 1 < len(head) <= 25 and head == head.upper() and not head.isdigit()


def _stem(word):
    """A light stemmer: enough to meet plural and possessive forms halfway."""
    word = word.removesuffix("'s").replace("'", "")
    word = _NUMBER_WORDS.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def title_terms(title, publisher="", *, bigrams=BIGRAMS, chars=CHAR_GRAMS):
    """The terms a title is compared by: word stems (optionally bigrams, character n-grams)."""
    words = [_stem(w) for w in _WORD.findall(normalise_title(title, publisher))]
    # A "word" longer than MAX_WORD is junk (a glued URL, a hash): it would only bloat the index.
    words = [w for w in words if w and w not in _STOPWORDS and len(w) <= MAX_WORD]
    terms = set(words)
    if bigrams:
        terms.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
    if chars:
        for word in words:
            padded = f"<{word}>"
            terms.update("#" + padded[i : i + chars] for i in range(len(padded) - chars + 1))
    return sorted(terms)


@dataclass
class DocumentFrequencies:
    """How many headlines held each term: the IDF, learnt as headlines arrive."""

    counts: dict = field(default_factory=dict)
    documents: int = 0
    # As if so many earlier headlines held none of these terms: until the
    # corpus is that large, words shared by a first burst of copies keep weight.
    prior: int = PRIOR_DOCUMENTS

    def add(self, terms):
        self.documents += 1
        for term in terms:
            self.counts[term] = self.counts.get(term, 0) + 1

    def idf(self, term):
        return math.log((1 + self.prior + self.documents) / (1 + self.counts.get(term, 0))) + 1.0


def weigh(terms, frequencies):
    """A unit TF-IDF vector (binary term frequency: titles rarely repeat a word)."""
    vector = {term: frequencies.idf(term) for term in terms}
    norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
    return {term: w / norm for term, w in vector.items()}


def cosine(a, b):
    if len(a) > len(b):
        a, b = b, a
    return sum(map(mul, a.values(), map(b.get, a, repeat(0.0))))


class _Weights(dict):
    """count -> IDF of a term held by so many headlines, for ``total`` (1 + prior + documents).

    The same expression as :meth:`DocumentFrequencies.idf`, so the same floats.
    """

    def __init__(self, total):
        super().__init__()
        self.total = total

    def __missing__(self, count):
        self[count] = weight = math.log(self.total / (1 + count)) + 1.0
        return weight


def kept_terms(counts):
    """A story's term counts with only the TERMS_KEPT most held, when it has over twice as many.

    Ties go by the term itself, so the same counts always keep the same terms.
    """
    if len(counts) <= 2 * TERMS_KEPT:
        return counts
    return dict(heapq.nsmallest(TERMS_KEPT, counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass(eq=False)  # a story is itself: found in the index's lists by identity
class StoryState:
    """What grouping knows of a story: its members' terms and when it was last seen."""

    key: object
    last_seen: object
    term_counts: dict = field(default_factory=dict)  # term -> members holding it
    # (title, unit vector when it joined) of the members at hand
    members: list = field(default_factory=list)
    _norm: tuple = (None, 0.0)  # (IDF bucket it was computed in, squared centroid norm)
    size: int = 0
    label: str = ""  # the title to name it by when no member is at hand (its lead's)
    closed: bool = False  # an editor's split: no headline joins it by similarity
    changed: bool = False  # a member joined since it was loaded: it must be written back

    def add(self, title, terms, moment, vector=None):
        self.changed = True
        self.size += 1
        self.members.append((title, vector if vector is not None else dict.fromkeys(terms, 0.0)))
        for term in terms:
            self.term_counts[term] = self.term_counts.get(term, 0) + 1
        if moment is not None and (self.last_seen is None or moment > self.last_seen):
            self.last_seen = moment


@dataclass
class Decision:
    story: object  # the StoryState joined, or None: a new story
    score: float = 0.0
    matched_title: str = ""


class Grouper:
    """Incremental grouping over the stories of a window.

    ``link`` is how a headline is compared with a story: ``"centroid"`` (the
    mean of its members' vectors, re-weighed with today's IDF), ``"single"``
    (its most similar member) or ``"average"`` (mean similarity to members).
    """

    def __init__(
        self,
        *,
        frequencies=None,
        threshold=THRESHOLD,
        pair_threshold=PAIR_THRESHOLD,
        window=WINDOW,
        link="centroid",
        learn=True,
    ):
        self.frequencies = frequencies or DocumentFrequencies()
        self.threshold = threshold
        self.pair_threshold = pair_threshold
        self.window = window
        self.link = link
        self.learn = learn  # False: the frequencies already count these headlines
        self.stories = []
        self._index = {}  # term -> list of StoryState
        self._weights = _Weights(0)

    def add_story(self, story, *, terms=None):
        """Make ``story`` a candidate; indexed under ``terms`` only, when given.

        A batch only ever looks stories up by its own headlines' terms, so a
        stored story need not be indexed under its other terms.
        """
        self.stories.append(story)
        held = story.term_counts if terms is None else story.term_counts.keys() & terms
        for term in held:
            self._index.setdefault(term, []).append(story)

    def candidates(self, terms, moment):
        """The open stories of the window holding one of ``terms``, in the order met."""
        seen = {}  # story -> open at ``moment``
        for term in terms:
            for story in self._index.get(term, ()):
                if story not in seen:
                    seen[story] = self._open_at(story, moment)
        return [story for story, is_open in seen.items() if is_open]

    def _open_at(self, story, moment):
        if story.closed:
            return False
        seen = story.last_seen
        return moment is None or seen is None or abs(moment - seen) <= self.window

    def centroid_scores(self, vector, moment):
        """``[(story, cosine with its centroid)]`` of the candidates, in ``candidates``' order.

        Each dot product is summed while the index is walked, term by term in
        the vector's order (the same floats as :meth:`score`'s), instead of a
        second lookup of every term in every candidate.
        """
        terms, weights = self.weighted(vector)
        dots = {}  # story -> its dot product so far, or None: not open at ``moment``
        for term, weight in zip(terms, weights, strict=True):
            for story in self._index.get(term, ()):
                dot = dots.get(story, False)
                if dot is False:
                    dot = 0.0 if self._open_at(story, moment) else None
                if dot is not None:
                    dots[story] = dot + weight * story.term_counts.get(term, 0)
                else:
                    dots[story] = None
        bucket = self.frequencies.documents // NORM_REFRESH
        scores = []
        for story, dot in dots.items():
            if dot is None:
                continue
            if dot:
                # The norm as _centroid_norm gives it, without two calls per candidate.
                known, square = story._norm
                if known != bucket:
                    square = self.norm_square(story)
                dot /= math.sqrt(square) or 1.0
            scores.append((story, dot))
        return scores

    def closest_member(self, vector, story, *, recent=None):
        """The member most similar to ``vector``: (similarity, its title).

        ``recent`` only looks at so many of the latest members: enough to name
        the copy a headline matched, at a bounded cost however large the story.
        """
        best, best_title = 0.0, story.label
        for title, member in story.members[-recent:] if recent else story.members:
            similarity = cosine(vector, member)
            if similarity > best:
                best, best_title = similarity, title
        return best, best_title

    def score(self, vector, story):
        """The similarity of a headline's vector with a story (:meth:`centroid_scores`
        gives the centroid's for all candidates at once)."""
        if self.link == "single":
            return self.closest_member(vector, story)[0]
        if self.link == "average":
            return sum(cosine(vector, member) for _, member in story.members) / story.size
        # Cosine with the centroid: only the headline's own terms count in the
        # dot product; the centroid's squared norm grows with each member and
        # is recomputed once NORM_REFRESH more headlines have moved the IDF.
        terms, weights = self.weighted(vector)
        dot = sum(map(mul, weights, map(story.term_counts.get, terms, repeat(0))))
        return dot / self._centroid_norm(story) if dot else 0.0

    def weighted(self, vector):
        """``(terms, weight × IDF of each)``: the part of a centroid's dot product that
        is the same for every story (the products and their order as before)."""
        idf = self.frequencies.idf
        return list(vector), [w * idf(t) for t, w in vector.items()]

    def _centroid_norm(self, story):
        return math.sqrt(self.norm_square(story)) or 1.0

    def norm_square(self, story):
        """The squared norm of a story's centroid, weighed anew every NORM_REFRESH headlines."""
        bucket = self.frequencies.documents // NORM_REFRESH
        if story._norm[0] != bucket:
            # This runs over every term of every candidate: the IDF of a term
            # depends only on its count, and most terms share a few counts.
            f = self.frequencies
            total, counts = 1 + f.prior + f.documents, f.counts
            if self._weights.total != total:
                self._weights = _Weights(total)
            held = story.term_counts
            # sum((weight[counts.get(t, 0)] * n) ** 2 for t, n in held.items()) in C calls.
            weights = map(self._weights.__getitem__, map(counts.get, held, repeat(0)))
            square = sum(map(pow, map(mul, weights, held.values()), repeat(2)))
            story._norm = (bucket, square)
        return story._norm[1]

    def threshold_for(self, story):
        """A story of one headline needs a closer match; a story of many is a wider topic.

        The centroid of many copies spreads over every outlet's wording, so its
        cosine with a true member falls as it grows: the bar falls with
        1/sqrt(size) from ``pair_threshold`` to ``threshold``.
        """
        return max(self.threshold, self.pair_threshold / math.sqrt(story.size))

    def decide(self, title, terms, moment):
        """Which story a new headline joins (None: its own), without changing anything."""
        vector = weigh(terms, self.frequencies)
        if self.link == "centroid":
            scored = self.centroid_scores(vector, moment)
        else:
            candidates = self.candidates(terms, moment)
            scored = [(story, self.score(vector, story)) for story in candidates]
        best = Decision(None)
        for story, similarity in scored:
            if similarity > best.score or (
                similarity == best.score and best.story is not None and story.size > best.story.size
            ):
                best = Decision(story, similarity)
        if best.story is not None:
            best.matched_title = self.closest_member(vector, best.story, recent=MEMBERS_NAMED)[1]
        if best.story is None or best.score < self.threshold_for(best.story):
            return Decision(None, best.score, best.matched_title)
        return best

    def assign(self, key, title, terms, moment):
        """Learn the headline's terms, then join it to its story or start one under ``key``."""
        if self.learn:
            self.frequencies.add(terms)
        decision = self.decide(title, terms, moment)
        story = decision.story
        if story is None:
            story = StoryState(key=key, last_seen=moment)
            self.stories.append(story)
        self.join(story, title, terms, moment)
        return story, decision

    def assign_batch(self, items):
        """Group a batch (one dump's headlines): ``[(title, terms, moment)]`` -> decisions.

        The order is the titles' own (most terms first), never the order they
        came in, and lone headlines get a second look once the batch is in.
        Returns one ``(StoryState, Decision)`` per item, in the items' order;
        ``Decision.story`` is None for a headline that starts a story.
        """
        order = sorted(range(len(items)), key=lambda i: (-len(items[i][1]), items[i][0], i))
        placed = {}
        for i in order:
            title, terms, moment = items[i]
            placed[i] = self.assign(None, title, terms, moment)
        lone = [placed[i][0] for i in order if placed[i][1].story is None]
        moved = {id(old): (new, decision) for old, new, decision in self.regroup_singletons(lone)}
        return [moved.get(id(placed[i][0]), placed[i]) for i in range(len(items))]

    def regroup_singletons(self, stories):
        """Give headlines that started a story of their own (in ``stories``) a second look.

        Greedy grouping depends on the order headlines come in: a headline
        met before its story's better-worded copies starts a story alone. Once
        the batch is in, each such lone headline is compared again with the
        stories as they now stand, and moves if one is similar enough.
        Returns ``[(old StoryState, new StoryState, Decision)]`` for the moves.
        """
        moves = []
        for lone in stories:
            if lone.size != 1 or not lone.members:
                continue
            title, terms = lone.members[0][0], list(lone.term_counts)
            moment = lone.last_seen
            self._unindex(lone)
            decision = self.decide(title, terms, moment)
            if decision.story is None:
                self._reindex(lone)
                continue
            self.stories.remove(lone)
            lone.size = 0
            self.join(decision.story, title, terms, moment)
            moves.append((lone, decision.story, decision))
        return moves

    def _unindex(self, story):
        for term in story.term_counts:
            holders = self._index.get(term, [])
            if story in holders:
                holders.remove(story)

    def _reindex(self, story):
        for term in story.term_counts:
            self._index.setdefault(term, []).append(story)

    def join(self, story, title, terms, moment):
        """Add a headline to a given story (an editor's decision, or :meth:`assign`'s)."""
        new_terms = [t for t in terms if t not in story.term_counts]
        if story._norm[0] is not None:
            idf, counts = self.frequencies.idf, story.term_counts
            grown = sum(idf(t) ** 2 * (2 * counts.get(t, 0) + 1) for t in terms)
            story._norm = (story._norm[0], story._norm[1] + grown)
        story.add(title, terms, moment, weigh(terms, self.frequencies))
        for term in new_terms:
            self._index.setdefault(term, []).append(story)
        if len(story.term_counts) > 2 * TERMS_KEPT:
            kept = kept_terms(story.term_counts)
            for term in story.term_counts.keys() - kept.keys():
                if term in self._index:
                    self._index[term] = [s for s in self._index[term] if s is not story]
            story.term_counts = kept
            story._norm = (None, 0.0)  # weighed anew over the terms kept
