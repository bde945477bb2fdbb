"""The parser takes time linear in its input, for every shape of input.

Dumps come from third-party pages: an input that makes the parser quadratic
is a denial of service (10 KB of blank lines inside a list took 16 s). Each
shape below is built at two sizes 10x apart; the larger may take at most 30x
as long as the smaller (linear gives about 10x, quadratic about 100x). Only a
ratio is asserted, never an absolute time, so a slow machine does not fail it.
"""


import pytest
from linear_time import GROWTH, GROWTH_LIMIT, fresh_growth

from newsroom.dumps import DumpError, parse_dump

SMALL = 20_000  # bytes; the large input is ten times this

ITEM = "  {n}. A headline about the region - Gulf\n    03.28 / 21:10\n    A summary line.\n"
TITLE = "The coming confrontation\n\nThe coming confrontation\n"
TEASER = "  1. The coming confrontation\n    A dek of the article…\n    Middle Easte\n\n"
PROSE = "The minister said on Tuesday that the talks would go on and the region needed calm.\n"


def fill(unit, size):
    """``unit`` repeated to about ``size`` characters (at least once)."""
    return unit * max(1, size // len(unit))


def item(n):
    return ITEM.format(n=n)


def with_credit(tail):
    """One headline whose summary is a credit followed by ``tail``."""
    return f"  1. A headline - Gulf\n    03.28 / 21:10\n    Summary. © Gulf Wire 2017{tail}\n"


def items(size, *, timed=True):
    unit = item(1) if timed else "  1. An untimed item\n"
    count = max(1, size // len(unit))
    if timed:
        return "".join(item(n) for n in range(1, count + 1))
    return "".join(f"  {n}. An untimed item\n" for n in range(1, count + 1))


# Each shape: size in characters -> dump text of about that size.
SHAPES = {
    "blank lines inside a list": lambda size: item(1) + "\n" * size + item(2),
    "lone-CR blank lines inside a list": lambda size: item(1) + "\r" * size + item(2),
    "CRLF blank lines inside a list": lambda size: item(1) + fill("\r\n", size) + item(2),
    "whitespace-only lines inside a list": lambda size: item(1) + fill("  \t \n", size) + item(2),
    "tab-indented items and tab lines": lambda size: fill(
        "\t7. Tabbed headline - Levant\n\t\t03.28 / 21:10\n\t\n", size
    ),
    "repeated cut marks after a credit": lambda size: with_credit(fill(" …", size)),
    "repeated '...' after a credit": lambda size: with_credit(fill(" ...", size)),
    "'read' repeated after a credit": lambda size: with_credit(fill(" read", size)),
    "'read more…' repeated after a credit": lambda size: with_credit(fill(" read more…", size)),
    "'(continue reading' repeated after a credit": lambda size: with_credit(
        fill(" (Continue Reading", size)
    ),
    "'(' runs after a credit": lambda size: with_credit(fill(" (", size)),
    "'copyright' words before the ©": lambda size: with_credit(fill(" copyright", size) + " ©"),
    "many © years in one summary": lambda size: with_credit(fill(" 2016 - 2017", size)),
    "deep indentation": lambda size: item(1) + fill(" " * 2000 + "9. deeper text\n", size),
    "indentation growing line by line": lambda size: (
        item(1) + "".join(" " * (4 + n) + "word\n" for n in range(int((2 * size) ** 0.5)))
    ),
    "thousands of timed items": lambda size: items(size),
    "thousands of untimed items": lambda size: items(size, timed=False),
    "headlines as short as they go": lambda size: "".join(
        f"  {n}. T\n    03.28 / 21:10\n" for n in range(1, size // 24)
    ),
    "untimed item runs separated by prose": lambda size: (
        fill("  1. An untimed item\n  2. Another one\nSome prose at column 0.\n", size) + item(1)
    ),
    "one very long body line": lambda size: TITLE + TEASER + fill("word ", size) + "\n\n" + item(1),
    "one very long summary line": lambda size: item(1) + "    " + fill("summary words ", size),
    "one very long title line": lambda size: "  1. " + fill("title - x ", size) + "\n",
    "teasers and prose alternating": lambda size: (
        TITLE + fill("  1. A teaser item\n    A dek…\nA paragraph at column 0.\n\n", size) + item(1)
    ),
    "many full dates in the body": lambda size: (
        TITLE
        + TEASER
        + fill("On March 16, 2017 and 16 March 2017 and Mar. 16, 2017, ", size)
        + "\n\n"
        + item(1)
    ),
    "many 'N.' lines at column 0": lambda size: (
        TITLE + TEASER + fill("1. Body text\n", size) + item(1)
    ),
    "many h1 candidates before the list": lambda size: fill("A heading line\n", size) + item(1),
    "blank run between the list and trailing prose": lambda size: (
        item(1) + "\n" * size + "Trailing prose.\n"
    ),
    "Windows-1252 bytes (not UTF-8)": lambda size: fill(
        "  1. Caf\xe9 talks - Gulf\n    03.28 / 21:10\n    \x93Quoted\x94 words \x85\n", size
    ).encode("latin-1"),
    "control characters everywhere": lambda size: item(1) + "    " + fill("\x01\x1b[31m\x0c", size),
    # Pages of other layouts go through the general-capture and HTML readers.
    "capture: prose paragraphs under a headline": lambda size: (
        "Ministers meet on the rail link\n\n" + fill(PROSE + "\n", size)
    ),
    "capture: lynx body with bullets and markers": lambda size: (
        "   Ministers meet on the rail link\n\n"
        + fill("   * Menu link\n   [IMG]\n   (BUTTON) Share\n   " + PROSE, size)
    ),
    "capture: Arabic prose": lambda size: (
        "وزراء الخارجية يجتمعون في تونس\n\n"
        + fill("قال الوزير يوم الثلاثاء إن المحادثات ستستمر، والمنطقة بحاجة إلى الهدوء.\n\n", size)
    ),
    "capture: bylines and dates": lambda size: (
        "Ministers meet on the rail link\n\n"
        + fill("By Jane Doe\nMarch 28, 2017\n٢٨/٠٣/٢٠١٧\n", size)
        + PROSE
    ),
    "capture: menus of link lists": lambda size: (
        "Ministers meet on the rail link\n\n"
        + fill("Home | World | Business | Sport | Culture\n", size)
        + PROSE
    ),
    "capture: run-on prose only (refused)": lambda size: fill(PROSE.strip() + " ", size),
    "html: a long page": lambda size: (
        "<!doctype html><html><head><title>Ministers meet - Daily</title></head><body>"
        "<h1>Ministers meet</h1>" + fill(f"<p>{PROSE}</p>", size) + "</body></html>"
    ),
    "html: deeply nested elements": lambda size: (
        "<!doctype html><html><body><h1>Ministers meet</h1>"
        + fill("<div>", size)
        + f"<p>{PROSE}</p></body></html>"
    ),
}


def parse(text):
    try:
        parse_dump(text)
    except DumpError:
        pass  # refusing must be as linear as reading


def test_there_are_many_adversarial_shapes():
    assert len(SHAPES) >= 14


@pytest.mark.parametrize("shape", SHAPES)
def test_parse_time_grows_linearly(shape):
    build = SHAPES[shape]
    assert len(build(SMALL * GROWTH)) >= 8 * len(build(SMALL)), "the shape must grow with its size"
    ratio = fresh_growth("test_parser_linear", "SHAPES", shape, SMALL)
    assert ratio <= GROWTH_LIMIT, f"{shape}: 10x the input took {ratio:.0f}x the time"


def test_the_items_around_a_long_blank_run_are_both_found():
    for text in (
        SHAPES["blank lines inside a list"](SMALL),
        SHAPES["lone-CR blank lines inside a list"](SMALL),
    ):
        parsed = parse_dump(text)
        assert [h.position for h in parsed.headlines] == [1, 2]
        assert parsed.warnings == []


def test_a_credit_followed_by_many_link_remains_is_just_the_credit():
    for shape in (
        "'read' repeated after a credit",
        "'read more…' repeated after a credit",
        "repeated cut marks after a credit",
        "'(continue reading' repeated after a credit",
    ):
        (headline,) = parse_dump(SHAPES[shape](SMALL)).headlines
        assert headline.summary == "Summary."
        assert headline.credit == "© Gulf Wire 2017"
        assert headline.source == "Gulf Wire"


def test_thousands_of_items_are_all_read():
    text = SHAPES["thousands of timed items"](SMALL)
    parsed = parse_dump(text)
    assert len(parsed.headlines) == text.count("03.28 / 21:10")
    assert parsed.headlines[-1].position == len(parsed.headlines)


def test_untimed_runs_between_prose_leave_the_timed_list():
    parsed = parse_dump(SHAPES["untimed item runs separated by prose"](SMALL))
    assert parsed.article is None
    assert [h.time_label for h in parsed.headlines] == ["03.28 / 21:10"]
