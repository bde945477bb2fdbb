"""Each rule of dump-format.md, on the smallest dump that shows it."""

from datetime import date, datetime

import pytest

from newsroom.dumps import DumpError, parse_dump, region_for, source_name, split_credit

TODAY = date(2030, 6, 1)


def headlines_of(*items, head="Latest headlines\n\n", **options):
    text = head + "".join(items)
    return parse_dump(text, today=TODAY, **options).headlines


def item(n, title, time="03.28 / 21:10", *summary):
    lines = [f"  {n}. {title}\n"]
    if time is not None:
        lines.append(f"    {time}\n")
    lines.extend(f"    {line}\n" for line in summary)
    return "".join(lines)


@pytest.mark.parametrize(
    ("label", "region"),
    [
        ("Middle Easte", "Middle East"),
        ("middle east", "Middle East"),
        ("Gulf", "Gulf"),
        ("Africa", "Africa"),
        ("North Afric", "North Africa"),
        ("Europe Busin", "Europe"),
        ("A", "Asia"),
        ("Business", None),
        ("Sport", None),
        ("Culture", None),
    ],
)
def test_region_labels_map_to_the_vocabulary(label, region):
    assert region_for(label) == region


def test_the_label_follows_the_last_spaced_dash():
    (first, second) = headlines_of(
        item(1, "Iran - US talks - a new start - Gulf"),
        item(2, "A title whose tail is too long - Not a section label"),
    )
    assert (first.title, first.region_label, first.region) == (
        "Iran - US talks - a new start",
        "Gulf",
        "Gulf",
    )
    assert second.title == "A title whose tail is too long - Not a section label"
    assert second.region_label is None


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (
            "Text. © Dar Al Sharq Press, Printing & Distribution. All Rights Reserved. read more…",
            (
                "© Dar Al Sharq Press, Printing & Distribution. All Rights Reserved.",
                "Dar Al Sharq Press, Printing & Distribution",
            ),
        ),
        (
            "Text. © Copyright Egypt Independent. All rights reserved. read …",
            ("© Copyright Egypt Independent. All rights reserved.", "Egypt Independent"),
        ),
        (
            "Text. Copyright © Qatar News Agency 2017. All Rights Reserved. read …",
            ("Copyright © Qatar News Agency 2017. All Rights Reserved.", "Qatar News Agency"),
        ),
        ("Text. © 2000 - 2017 Al Bawaba ( read …", ("© 2000 - 2017 Al Bawaba", "Al Bawaba")),
        ("Text. © Tap 2017…", ("© Tap 2017", "Tap")),
        (
            "Text. © Kuwait Press Agency (KPA) 2017 Continue reading...",
            ("© Kuwait Press Agency (KPA) 2017", "Kuwait Press Agency (KPA)"),
        ),
        ("Text. (c) 2017 Someone", (None, None)),
        ("Text. Copyright 2017 Someone", (None, None)),
    ],
)
def test_credits_and_source_names(summary, expected):
    (headline,) = headlines_of(item(1, "T", "03.28 / 21:10", summary))
    assert (headline.credit, headline.source) == expected
    assert headline.summary.startswith("Text.")


def test_summary_truncation_is_judged_before_the_credit():
    (kept, cut) = headlines_of(
        item(1, "A", "03.28 / 21:10", "Whole sentence. © Tap 2017…"),
        item(2, "B", "03.28 / 21:09", "Cut sentence… © Tap 2017"),
    )
    assert (kept.summary, kept.summary_truncated) == ("Whole sentence.", False)
    assert (cut.summary, cut.summary_truncated) == ("Cut sentence", True)


def test_link_remains_are_stripped_repeatedly():
    before, credit = split_credit("x © Foo 2017 (read more… read …")
    assert credit == "© Foo 2017"
    assert source_name("© 1999–2017 Foo Ltd. | All rights reserved.") == "Foo Ltd"


def test_wrapped_summaries_join_and_language_undefined_is_dropped_at_the_start_only():
    (first, second) = headlines_of(
        item(1, "A", "03.28 / 21:10", "Language Undefined First part", "second part…"),
        item(2, "B", "03.28 / 21:09", "He said Language Undefined twice."),
    )
    assert (first.summary, first.summary_truncated) == ("First part second part", True)
    assert second.summary == "He said Language Undefined twice."


def test_time_lines():
    (tight, missing, impossible) = headlines_of(
        item(1, "A", "3.5/9:05"),
        item(2, "B", None, "Just a summary."),
        item(3, "C", "00.00 / 00:00", "S."),
        head="Latest headlines\n\nPublished March 16, 2017\n\n",
    )
    assert tight.time_label == "3.5/9:05"
    assert tight.published_at == datetime(2017, 3, 5, 9, 5)
    assert (missing.time_label, missing.published_at, missing.summary) == (
        None,
        None,
        "Just a summary.",
    )
    assert (impossible.time_label, impossible.published_at) == ("00.00 / 00:00", None)


def test_missing_and_impossible_times_are_warnings_with_their_lines():
    parsed = parse_dump(
        "Latest headlines\n\n" + item(1, "A", None, "S.") + item(2, "B", "13.45 / 25:00"),
        today=TODAY,
    )
    assert [warning.line for warning in parsed.warnings] == [3, 6]


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("on March 16, 2017, police said", 2017),
        ("on 16 March 2016 police said", 2016),
        ("on Mar. 16, 2015, police said", 2015),
        ("before the 2018 World Cup", 2030),
        ("in December 2018 police said", 2030),
        ("on 2018-12-01 police said", 2030),
        ("Text. © 2000 - 2014 Al Bawaba", 2014),
        ("In 2019 there was a © notice", 2030),
    ],
)
def test_the_year_comes_from_full_dates_and_copyright_years_only(text, year):
    (headline,) = headlines_of(item(1, "A", "03.28 / 21:10", text))
    assert headline.published_at.year == year


def test_the_captured_date_wins_and_never_dates_the_newest_headline_after_it():
    items = (item(1, "A", "01.02 / 10:00", "March 16, 2017"), item(2, "B", "12.31 / 09:00"))
    (newest, older) = headlines_of(*items, captured_at=date(2020, 1, 5))
    assert newest.published_at == datetime(2020, 1, 2, 10, 0)
    assert older.published_at == datetime(2019, 12, 31, 9, 0)
    (newest,) = headlines_of(item(1, "A", "12.31 / 23:00"), captured_at=date(2020, 1, 5))
    assert newest.published_at.year == 2019


def test_rollover_compares_months_and_ignores_days():
    items = (
        item(1, "A", "01.02 / 10:00", "© 2018 X"),
        item(2, "B", "01.05 / 10:00"),
        item(3, "C", "00.00 / 00:00"),
        item(4, "D", "12.31 / 10:00"),
    )
    years = [h.published_at.year if h.published_at else None for h in headlines_of(*items)]
    assert years == [2018, 2018, None, 2017]


def test_numbering_gaps_and_repeats_are_warnings_and_repeats_are_two_headlines():
    parsed = parse_dump(
        "Latest headlines\n\n" + item(1, "A") + item(2, "B") + item(2, "B again") + item(5, "E"),
        today=TODAY,
    )
    assert [h.position for h in parsed.headlines] == [1, 2, 2, 5]
    assert [w.line for w in parsed.warnings] == [7, 9]


def test_items_need_indentation_and_deeper_numbers_are_summary_text():
    text = (
        "Title\n\nTitle\n\n1. Not an item at column 0.\n\n"
        + "  1. Real - Gulf\n    03.28 / 21:10\n    First line\n      2. still summary\n"
    )
    parsed = parse_dump(text, today=TODAY)
    assert parsed.article.paragraphs == ["1. Not an item at column 0."]
    (headline,) = parsed.headlines
    assert headline.summary == "First line 2. still summary"


def test_only_the_last_paragraph_mark_cuts_the_body():
    text = "T\n\nT\n\nHe paused... then spoke.\n\nFirst ends...\n\nLast one…\n"
    article = parse_dump(text, today=TODAY).article
    assert article.paragraphs == ["He paused... then spoke.", "First ends...", "Last one"]
    assert article.truncated is True


def test_encodings_line_endings_and_spaces():
    cp1252 = b"Title\r\rTitle\r\rCaf\xe9 \x93quoted\x94\xa0\xa0 text\x85\r"
    article = parse_dump(cp1252, today=TODAY).article
    assert article.paragraphs == ["Café “quoted” text"]
    assert article.truncated is True
    bom = "\ufeffTitle\n\nTitle\n\nBody\twith\ttabs\n".encode()
    assert parse_dump(bom, today=TODAY).article.paragraphs == ["Body with tabs"]


def test_not_a_dump():
    with pytest.raises(DumpError, match="empty"):
        parse_dump(b"   \r\n\t")
    with pytest.raises(DumpError) as refused:
        parse_dump(b"Hello\n\nJust prose here.\n")
    assert refused.value.line == 1


def test_a_page_title_over_a_list_that_lost_its_times_is_not_an_article():
    text = "Latest headlines\n\n  1. First - Gulf\n    Summary one.\n  2. Second - Gulf\n"
    parsed = parse_dump(text, today=TODAY)
    assert parsed.article is None
    assert [h.title for h in parsed.headlines] == ["First", "Second"]
    assert [w.line for w in parsed.warnings] == [3, 5]


def test_untimed_items_under_a_title_with_body_after_them_are_a_teaser():
    text = "Title\n\n  1. Title\n    The dek.\n    Gulf\n\nBody paragraph.\n"
    article = parse_dump(text, today=TODAY).article
    assert (article.title, article.dek, article.region) == ("Title", "The dek.", "Gulf")
    assert article.paragraphs == ["Body paragraph."]
