"""Control characters never reach parsed text; line numbers stay those of the input.

One "\\x01" in a title used to take down the XML feeds for every reader. The
parser turns C0 controls (but tab, LF, CR), DEL, surrogates and noncharacters
into spaces, which then collapse like any other whitespace. Only CR, LF and
CRLF break lines: form feeds, vertical tabs, U+0085 and U+2028 do not, so a
warning still names the line an editor sees in the file.
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsroom.dumps import DumpError, parse_dump

REMOVED = [chr(code) for code in range(0x01, 0x20) if chr(code) not in "\t\n\r"] + [
    "\x7f",
    "\ufffe",
    "\uffff",
    "\ufdd0",
    "\U0001fffe",
    "\U0010ffff",
    "\ud800",
    "\udfff",
]


def dump(title="A headline - Gulf", summary="A summary."):
    return f"Latest headlines\n\n  1. {title}\n    03.28 / 21:10\n    {summary}\n"


def only_headline(text):
    parsed = parse_dump(text)
    assert parsed.warnings == []
    (headline,) = parsed.headlines
    return headline


def strings_of(parsed):
    """Every string the parse_dump JSON would print."""
    found = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(parsed.as_json())
    return found


def test_a_control_character_in_a_title_becomes_a_space():
    headline = only_headline(dump(title="Breaking\x01news\x02 - Gulf"))
    assert headline.title == "Breaking news"
    assert headline.region_label == "Gulf"


def test_an_ansi_colour_code_in_a_summary_loses_its_escape():
    headline = only_headline(dump(summary="\x1b[31mRed alert\x1b[0m on the coast…"))
    assert headline.summary == "[31mRed alert [0m on the coast"
    assert headline.summary_truncated is True


def test_form_feeds_and_vertical_tabs_are_spaces_inside_a_line():
    headline = only_headline(dump(summary="Page\x0cone\x0band two."))
    assert headline.summary == "Page one and two."


def test_next_line_u0085_is_a_space_not_a_line_break():
    headline = only_headline(dump(title="Talks\x85resume - Gulf", summary="Day\x85two."))
    assert (headline.title, headline.summary) == ("Talks resume", "Day two.")


def test_a_control_character_in_a_credit_leaves_a_clean_source():
    headline = only_headline(dump(summary="Talks went on. © Gulf\x01Wire\x7f 2017 read more…"))
    assert headline.credit == "© Gulf Wire 2017"
    assert headline.source == "Gulf Wire"
    assert headline.summary == "Talks went on."


def test_controls_in_the_article_become_spaces():
    text = (
        "Talks\x1b resume\n\nTalks\x1b resume\n  1. Talks\x1b resume\n    The\x01dek…\n"
        "    Gulf\n\nBody\x0bline\x7fone.\n\n"
    ) + dump().split("\n\n", 1)[1]
    article = parse_dump(text).article
    assert article.title == "Talks resume"
    assert (article.dek, article.dek_truncated, article.region_label) == ("The dek", True, "Gulf")
    assert article.paragraphs == ["Body line one."]


@pytest.mark.parametrize("char", REMOVED, ids=[f"U+{ord(c):04X}" for c in REMOVED])
def test_no_parsed_text_carries_the_character(char):
    text = dump(title=f"One{char}two - Gulf", summary=f"Three{char}four © X{char}Y 2017")
    parsed = parse_dump(text)
    headline = parsed.headlines[0]
    assert (headline.title, headline.summary) == ("One two", "Three four")
    assert (headline.credit, headline.source) == ("© X Y 2017", "X Y")
    json.dumps(parsed.as_json(), ensure_ascii=False).encode("utf-8")  # prints as UTF-8


@settings(max_examples=150)
@given(
    st.text(
        alphabet=st.sampled_from([*REMOVED, "\t", "\n", "\r", " ", "a", "1", ".", "©", "-", "…"]),
        max_size=30,
    )
)
def test_no_control_reaches_any_field_whatever_surrounds_it(noise):
    text = dump(title=f"Title {noise} - Gulf", summary=f"Summary {noise} end")
    try:
        parsed = parse_dump(text)
    except DumpError:
        return
    for value in strings_of(parsed):
        assert not set(value) & set(REMOVED), value


def test_warnings_name_the_line_past_form_feeds_and_unicode_separators():
    text = (
        "Latest headlines\x0c\n"  # 1
        "\n"  # 2
        "  1. First\x0b - Gulf\n"  # 3
        "    03.28 / 21:10\n"  # 4
        "    Words\u2028more\u2029words\x85end.\r"  # 5: lone CR ends it
        "  2. Second, no time line\r\n"  # 6
        "    Its summary.\n"  # 7
    )
    parsed = parse_dump(text)
    assert [h.position for h in parsed.headlines] == [1, 2]
    assert parsed.headlines[0].summary == "Words more words end."
    assert [(w.line, w.message) for w in parsed.warnings] == [(6, "headline without a time line")]
    assert parsed.headlines[1].line == 6


def test_a_nul_is_still_a_binary_file_on_the_right_line_with_lone_crs():
    with pytest.raises(DumpError) as caught:
        parse_dump(b"Latest headlines\r\r  1. A\x00title\r")
    assert caught.value.message == "binary file (NUL bytes)"
    assert caught.value.line == 3


def test_a_file_of_control_characters_only_is_empty():
    with pytest.raises(DumpError) as caught:
        parse_dump(b"\x01\x02\x1b\r\n\x7f")
    assert caught.value.message == "empty file"
