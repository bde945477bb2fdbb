"""Tag suggestions: gazetteer regions and lexicon topics found in whole words, fast."""


import pytest

from articles.models import TopicKeyword, TopicTag, tag_key
from articles.services import PhraseMatcher, suggest_regions, suggest_topics, topic_lexicon


def test_the_longest_place_wins_and_only_whole_words_count():
    assert suggest_regions("South Sudan votes") == ["South Sudan"]
    assert suggest_regions("Talks in Côte d'Ivoire's capital") == ["Ivory Coast"]
    assert suggest_regions("Iraqis vote; Iraq_x and Iraqx do not") == ["Iraq"]
    assert suggest_regions("Iraq_x and Iraqx") == []
    assert suggest_regions("U.S.A. and the U.S.Army") == ["United States"]


def test_a_phrase_is_matched_on_its_exact_words_and_marks():
    matcher = PhraseMatcher(["U.S.", "St. Petersburg", "New York"])
    assert matcher.findall("The U.S. team in St. Petersburg") == ["U.S.", "St. Petersburg"]
    assert matcher.findall("U.S.A St.Petersburg New  York NewYork") == []


@pytest.mark.django_db
def test_topic_keywords_match_in_any_case_and_width():
    topic = TopicTag.objects.create(name="Machines", slug="machines", key=tag_key("Machines"))
    TopicKeyword.objects.create(topic=topic, keyword="robot arm")
    lexicon = topic_lexicon()
    assert "Machines" in suggest_topics(lexicon, "A ROBOT  ARM for schools")
    assert "Machines" in suggest_topics(lexicon, "ｒｏｂｏｔ ａｒｍ")  # full-width letters, NFKC
    assert "Machines" not in suggest_topics(lexicon, "robot armour and robotarm")


def test_finding_phrases_takes_time_linear_in_the_text(assert_linear_time):
    # Every token may start a phrase here: the worst case for the matcher.
    matcher = PhraseMatcher([f"Place {n} City" for n in range(2000)] + ["Place"])
    unit = "Place Place 7 City words and more words. "
    assert_linear_time(matcher.findall, unit * 2000, unit * 20000)
