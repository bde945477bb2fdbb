"""headlines/grouping.py: normalising titles and grouping them, without Django."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from headlines import grouping
from headlines.grouping import Grouper, normalise_title, title_terms


@pytest.mark.parametrize(
    ("title", "publisher", "expected"),
    [
        (
            "UPDATE 2-Fed's Plosser sees high bar - Reuters",
            "Reuters",
            "fed's plosser sees high bar",
        ),
        ("RPT-Mt. Gox files for bankruptcy", "Reuters", "mt. gox files for bankruptcy"),
        (
            "ECB FOCUS-Stronger euro drowns out message",
            "Reuters",
            "stronger euro drowns out message",
        ),
        ("EXCLUSIVE-GM probe widens | CNN", "CNN", "gm probe widens"),
        (
            "ECB unlikely to end purchases - traders",
            "Interactive Investor",
            "ecb unlikely to end purchases - traders",
        ),
        ("“Cosmos” reboot shines — again…", "Fox", "'cosmos' reboot shines - again"),
        ("US-China trade talks resume", "BBC", "us-china trade talks resume"),
    ],
)
def test_titles_normalise_what_differs_between_outlets_copies(title, publisher, expected):
    assert normalise_title(title, publisher) == expected


def test_plurals_possessives_and_number_words_meet():
    assert title_terms("Three banks' profits fall", "") == title_terms("3 bank profit falls", "")
    assert "plosser" in title_terms("Plosser's remarks", "")


def test_a_batch_groups_the_same_whatever_order_its_headlines_come_in():
    moment = datetime(2014, 3, 10, 17, tzinfo=UTC)
    titles = [
        "Fed's Plosser says weather slowed jobs growth",
        "Plosser: weather behind weak US jobs growth",
        "Fed official Plosser sees taper pace unchanged despite weather",
        "Mt. Gox files for bankruptcy protection in US",
        "Bitcoin exchange Mt. Gox seeks US bankruptcy protection",
        "Titanfall launch draws crowds",
    ]

    def partition(order):
        grouper = Grouper()
        items = [(t, title_terms(t), moment + timedelta(minutes=i)) for i, t in enumerate(order)]
        states = grouper.assign_batch(items)
        groups = {}
        for (title, _, _), (state, _) in zip(items, states, strict=True):
            groups.setdefault(id(state), set()).add(title)
        return {frozenset(group) for group in groups.values()}

    first = partition(titles)
    shuffled = titles[:]
    random.Random(3).shuffle(shuffled)
    assert partition(shuffled) == first
    assert frozenset(titles[:3]) in first and frozenset(titles[3:5]) in first


def test_a_story_outside_the_window_is_no_candidate():
    grouper = Grouper()
    start = datetime(2014, 3, 10, tzinfo=UTC)
    terms = title_terms("Mt. Gox files for bankruptcy protection")
    grouper.assign("a", "Mt. Gox files for bankruptcy protection", terms, start)
    late = start + grouping.WINDOW + timedelta(minutes=1)
    story, decision = grouper.assign("b", "Mt. Gox files for bankruptcy protection", terms, late)
    assert decision.story is None and story.key == "b"
    story, decision = grouper.assign("c", "Mt. Gox files for bankruptcy protection", terms, late)
    assert story.key == "b" and decision.score > 0.9


def test_junk_words_are_no_terms():
    assert title_terms("x" * 500 + " bank") == ["bank"]


def test_a_big_story_keeps_its_most_held_terms_and_is_no_longer_found_by_the_others():
    grouper = Grouper()
    moment = datetime(2014, 3, 10, tzinfo=UTC)
    common = ["gox", "bankruptcy", "bitcoin"]
    story = None
    for n in range(3 * grouping.TERMS_KEPT):
        # Every copy shares the story's words and adds one of its own.
        terms = sorted([*common, f"rare{n:04d}"])
        state, _ = grouper.assign(n, "Mt. Gox bankruptcy", terms, moment)
        story = story or state
        assert state is story
    assert story.size == 3 * grouping.TERMS_KEPT
    assert grouping.TERMS_KEPT <= len(story.term_counts) <= 2 * grouping.TERMS_KEPT
    assert all(story.term_counts[word] == story.size for word in common)
    rare = [f"rare{n:04d}" for n in range(story.size)]
    dropped = next(term for term in rare if term not in story.term_counts)
    assert grouper.candidates([dropped], moment) == []
    assert grouper.candidates(["gox"], moment) == [story]
    # Its centroid is weighed over the terms kept: a copy still joins it.
    joined, decision = grouper.assign("next", "Mt. Gox bankruptcy", sorted(common), moment)
    assert joined is story and decision.score > 0.5


def test_centroid_scores_are_the_scores_of_each_candidate():
    rng = random.Random(5)
    words = [f"w{n}" for n in range(40)]
    moment = datetime(2014, 3, 10, tzinfo=UTC)
    grouper = Grouper()
    for n in range(300):
        terms = sorted(set(rng.sample(words, rng.randint(2, 8))))
        grouper.assign(n, f"title {n}", terms, moment + timedelta(hours=rng.randint(-60, 60)))
    for _ in range(50):
        terms = sorted(set(rng.sample(words, rng.randint(1, 8))))
        vector = grouping.weigh(terms, grouper.frequencies)
        at = moment + timedelta(hours=rng.randint(-60, 60))
        expected = [(s, grouper.score(vector, s)) for s in grouper.candidates(terms, at)]
        assert expected and grouper.centroid_scores(vector, at) == expected
