"""Property tests: whatever the input, the parser returns a dump or its own error."""

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from newsroom.dumps import DumpError, _Item, item_line, parse_dump
from tests.conftest import SAMPLE

SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
SAMPLE_LINES = SAMPLE_TEXT.split("\n")


def parse_or_refuse(data):
    """Parse; a refusal must be a DumpError, a success must serialise to JSON."""
    try:
        parsed = parse_dump(data)
    except DumpError as error:
        assert error.message
        assert error.line is None or error.line >= 1
        return None
    document = parsed.as_json()
    assert json.loads(json.dumps(document, ensure_ascii=False)) == document
    assert parsed.article is not None or parsed.headlines
    return parsed


@given(st.text())
def test_random_text_never_crashes(text):
    parse_or_refuse(text)


@given(st.binary())
def test_random_bytes_never_crash(data):
    parse_or_refuse(data)


@st.composite
def mutated_sample(draw):
    lines = list(SAMPLE_LINES)
    for _ in range(draw(st.integers(0, 6))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "duplicate", "reindent", "blank", "noise"]))
        if action == "drop":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "reindent":
            lines[index] = " " * draw(st.integers(0, 8)) + lines[index].lstrip()
        elif action == "blank":
            lines.insert(index, "")
        else:
            lines[index] = draw(st.text(max_size=40))
        if not lines:
            lines = [""]
    text = "\n".join(lines)
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = text.replace("\n", newline)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    cut = draw(st.integers(0, len(data)))
    return data[:cut] if draw(st.booleans()) else data


@given(mutated_sample())
def test_mutations_of_the_sample_parse_or_are_refused(data):
    parse_or_refuse(data)


FIRST_ITEM = SAMPLE.read_bytes().index(b"\n  1. ") + len(b"\n  1. ")


@given(st.integers(FIRST_ITEM, len(SAMPLE.read_bytes())))
def test_the_sample_cut_anywhere_after_its_teaser_starts_still_parses(cut):
    # Cutting can split a UTF-8 sequence: the cp1252 fallback then reads it.
    parsed = parse_or_refuse(SAMPLE.read_bytes()[:cut])
    assert parsed is not None


# The item and time rules as the contract writes them, in regular expressions: the
# parser reads them by str methods and lookups (faster), and must read them alike.
ITEM_RULE = re.compile(r"(\d{1,6})\.(?:\s+(.*))?")
TIME_RULE = re.compile(r"(\d{1,2})\.(\d{1,2})\s*/\s*(\d{1,2}):(\d{2})")
# Digits of several scripts (\d is Unicode's), a superscript (a digit, not \d), and
# the whitespace str.split knows, in the shapes of item and time lines and beside them.
DIGIT = st.sampled_from(list("0123456789") * 3 + list("٠١٢٣٤٥٦٧٨٩۳०५") + ["²", "a"])
NUMBER = st.lists(DIGIT, max_size=7).map("".join)
GAP = st.sampled_from(["", " ", "  ", "\u00a0", "\u2003", "\t"])
TITLE = st.sampled_from(["", "Title - Gulf", "5 m", "."])
ITEM_LIKE = st.builds("{}.{}{}".format, NUMBER, GAP, TITLE)
TIME_LIKE = st.builds("{}.{}{}/{}{}:{}".format, NUMBER, NUMBER, GAP, GAP, NUMBER, NUMBER)


@given(ITEM_LIKE)
def test_item_lines_are_read_as_the_rule_reads_them(text):
    match = ITEM_RULE.fullmatch(text)
    expected = (int(match[1]), match[2] or "") if match else None
    assert item_line(text) == expected


@given(TIME_LIKE)
def test_time_lines_are_read_as_the_rule_reads_them(text):
    match = TIME_RULE.fullmatch(text)
    item = _Item(number=1, indent=2, position=1, rest="Title", content=[text])
    assert item.read_time() == (tuple(map(int, match.groups())) if match else None)
