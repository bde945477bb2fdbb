"""The page-dump parser: plain text of a captured news page -> plain data.

This module is the one parser of Newsroom (see ``docs: dump-format.md``). It
imports nothing from Django so that it can be tested and fuzzed alone. Its
entry point is :func:`parse_dump`; its one error is :class:`DumpError`.

A dump reads, top to bottom: a page title, an h1 with a teaser block (the
article's dek and section label), body paragraphs, then a numbered list of
headlines with times, summaries and credits. Any part but one of "article" or
"headline list" may be missing.

Dumps come from third-party pages, so a slow input is a denial of service:
the parser is linear in its input for every input. Each line is visited a
bounded number of times (what the list rules need to know about the lines
after a point is known once, in :class:`_Lines`: the prose lines, and where a
run of items before each stops), and no regular expression runs again over a
string that a loop shortens (the credit clean-up is one right-to-left scan:
:func:`split_credit`).
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from operator import attrgetter, sub

REGIONS = (
    "Middle East",
    "North Africa",
    "Gulf",
    "Levant",
    "Europe",
    "Africa",
    "Asia",
    "Americas",
)
REGION_LABEL_MAX = 12  # outlets cut section names to 12 characters

# cp1252 leaves five bytes undefined; the contract reads them as Latin-1.
_CP1252 = {byte: bytes([byte]).decode("cp1252", errors="replace") for byte in range(0x80, 0xA0)}
_CP1252_TABLE = str.maketrans(
    {chr(byte): (char if char != "\ufffd" else chr(byte)) for byte, char in _CP1252.items()}
)

# Bytes without which a UTF-8 (or cp1252) text holds no character of _CONTROLS:
# the C0 controls but tab, LF and CR, DEL, and the bytes every noncharacter's
# UTF-8 holds (0xB7 in U+FDD0-U+FDEF, 0xBF in every U+xFFFE and U+xFFFF).
# Strict UTF-8 decoding refuses surrogates.
_CLEAN_BYTES = bytes(set(range(256)) - set(range(0x20)) - {0x7F, 0xB7, 0xBF} | {0x09, 0x0A, 0x0D})

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Characters no parsed text may carry: C0 controls but tab, LF and CR (XML 1.0
# refuses them: one in a title broke the feeds), DEL, surrogates (a str input
# can hold them; UTF-8 output cannot) and the noncharacters, U+FFFE and U+FFFF
# among them. Each becomes a space, then collapses; none is a line break, so
# line numbers stay those of the input. NUL never gets here: a binary file.
# C1 controls stay: valid in XML 1.0 and JSON, and the contract reads
# cp1252's undefined bytes as them (fixture cp1252_undefined_bytes); U+0085 is
# whitespace to str.split, so collapse() already makes it a space.
# Written as "not an allowed character": a class that lists the astral
# noncharacters scans non-ASCII text ten times slower.
_CONTROLS = re.compile(
    "[^\x00\t\n\r\x20-\x7e\x80-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd"
    + "".join(f"{chr(plane << 16)}-{chr(plane << 16 | 0xFFFD)}" for plane in range(1, 17))
    + "]"
)
# "03.28 / 21:10": month.day / hour:minute, one or two digits, spaces optional.
_TIME = re.compile(r"(\d{1,2})\.(\d{1,2})\s*/\s*(\d{1,2}):(\d{2})")
# The time's numbers as _TIME reads them in ASCII: "0" to "99", "00" to "09".
_NUMBERS = {str(n): n for n in range(100)} | {f"{n:02}": n for n in range(10)}
# A credit starts at the first "©", with a "Copyright" word just before it.
_CREDIT_START = re.compile(r"(?:\bcopyright\s*)?©", re.IGNORECASE)
# Link remains at the end of a credit ("(read more…", "read …", "continue
# reading"): a last word, optionally the word before it, compared in any case
# with the rules of the re module (as a regex on the whole credit would).
_LINK_REMAINS = (("read", None), ("more", "read"), ("reading", "continue"))
_LINK_WORD = {
    word: re.compile(re.escape(word), re.IGNORECASE)
    for word in ("read", "more", "continue", "reading")
}
# The letters the remains end in; no other character matches them in any case (re rules).
_LINK_LAST_LETTERS = frozenset("dDeEgG")
_CUT_MARKS = ("…", "...")
_YEAR = r"(?:19|20)\d\d"
_YEAR_RANGE = re.compile(rf"\b{_YEAR}\s*[-–—]\s*{_YEAR}\b")
_YEAR_ANY = re.compile(rf"\b{_YEAR}\b")
_ALL_RIGHTS = re.compile(r"\ball\s+rights\s+reserved\b", re.IGNORECASE)
_COPYRIGHT_WORDS = re.compile(r"©|\bcopyright\b", re.IGNORECASE)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_NAME_EDGES = ".,;:-–—|/ "

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
# "March 16, 2017" / "Mar. 16, 2017" (month first, comma before the year).
_DATE_MDY = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}),\s*(?P<year>{_YEAR})\b")
# "16 March 2017" (day first, no comma).
_DATE_DMY = re.compile(rf"\b(?P<day>\d{{1,2}})\s+{_MONTH}\s+(?P<year>{_YEAR})\b")


class DumpError(ValueError):
    """The input is not a page dump. ``line`` is 1-based, or None."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(slots=True)  # no __dict__: half the objects the collector tracks
class ParseWarning:
    line: int
    message: str


@dataclass
class ParsedArticle:
    title: str
    dek: str | None
    dek_truncated: bool
    region_label: str | None
    region: str | None
    paragraphs: list[str]
    truncated: bool
    byline: str | None = None  # the author line without "By"; captures only
    published_at: date | datetime | None = None  # the article's own date; captures only

    def as_json(self):
        item = asdict(self)
        if self.published_at is not None:
            item["published_at"] = (
                self.published_at.isoformat(timespec="seconds")
                if isinstance(self.published_at, datetime)
                else self.published_at.isoformat()
            )
        # The contract's key order: title, byline, published_at, then the rest.
        order = ("title", "byline", "published_at")
        return {**{key: item[key] for key in order}, **item}


@dataclass(slots=True)  # no __dict__: half the objects the collector tracks
class ParsedHeadline:
    position: int
    title: str
    region_label: str | None
    region: str | None
    time_label: str | None
    published_at: datetime | None
    summary: str | None
    summary_truncated: bool
    credit: str | None
    source: str | None
    line: int = field(default=0, compare=False)  # where the item starts; not printed


@dataclass
class DroppedLine:
    """A line of a capture the reading left out of the article: furniture, a list, a caption."""

    line: int  # 1-based line of the input (of the HTML source for a saved page)
    text: str
    kind: str  # why it was left out, in words: "furniture", "list item", ...


@dataclass
class ParsedDump:
    article: ParsedArticle | None
    headlines: list[ParsedHeadline]
    warnings: list[ParseWarning]
    layout: str = "sidebar"  # which reading produced it: sidebar, capture or html
    # For the admin preview only, never printed: the JSON of ``parse_dump`` is a
    # contract (dump-format.md) and has no such key. Empty for the sidebar layout,
    # whose skipped text is in the warnings.
    dropped: list[DroppedLine] = field(default_factory=list)

    def as_json(self):
        """The exact structure ``manage.py parse_dump`` prints."""
        headlines = []
        for headline in self.headlines:
            item = asdict(headline)
            del item["line"]
            if headline.published_at is not None:
                item["published_at"] = headline.published_at.isoformat(timespec="seconds")
            headlines.append(item)
        return {
            "layout": self.layout,
            "article": self.article.as_json() if self.article else None,
            "headlines": headlines,
            "warnings": [asdict(warning) for warning in self.warnings],
        }


class _Lines:
    """The dump's lines, column by column: index ``i`` is line ``i + 1`` of the input.

    Columns rather than an object per line: a dump of millions of lines would
    spend more building line objects than parsing them. Built by :func:`split_lines`.
    """

    def __init__(self, texts, indents, items):
        self.text = texts  # stripped, spaces collapsed; "" for a blank line
        self.indent = indents  # columns of leading whitespace, tabs to stops of 4; 0 if blank
        self.item = items  # {index: (position, rest)} of each indented "N. title" line
        self.item_starts = list(items)  # their indices, ascending (split_lines reads in order)
        self.count = len(texts)
        # The non-blank lines at column 0 ("prose"), ascending: where a list stops.
        self.prose = [i for i, indent in enumerate(indents) if not indent and texts[i]]
        # Prose stands at or after i exactly when i <= the last one (-1: none).
        self.last_prose = self.prose[-1] if self.prose else -1
        self._run_end = {}  # prose line (or count) -> where a list before it stops
        # collect_items by start: find_article, find_list (twice) and parse_list all
        # collect the same runs; a run is read once.
        self.collected = {}

    def prose_from(self, index):
        """A non-blank line at column 0 stands at or after ``index``."""
        return index <= self.last_prose

    def run_end(self, start):
        """Where a run of indented lines from ``start`` stops: at the next prose
        line, or at the first of the blank lines right before it (or the end).

        Remembered by that line, so each blank run is walked once.
        """
        at = bisect_left(self.prose, start + 1)
        prose = self.prose[at] if at < len(self.prose) else self.count
        end = self._run_end.get(prose)
        if end is None:
            end, texts = prose, self.text
            while end > start and not texts[end - 1]:
                end -= 1
            self._run_end[prose] = end
        return end


@dataclass(slots=True)
class _Item:
    number: int  # 1-based line of the "N. title" line
    indent: int
    position: int
    rest: str
    content: list[str] | tuple = ()  # texts of the lines under the item (a list once read)
    content_number: int = 0  # line of the first of them
    time: tuple | None | bool = False  # (month, day, hour, minute) once read; False: not yet

    def read_time(self):
        """(month, day, hour, minute) of the time line, or None: read once, asked often."""
        if self.time is False:
            match = _TIME.fullmatch(self.content[0]) if self.content else None
            if match is None:
                self.time = None
            else:
                month, day, hour, minute = match.groups()
                try:  # a dict lookup each: int() parsing is most of this method's time
                    self.time = (_NUMBERS[month], _NUMBERS[day], _NUMBERS[hour], _NUMBERS[minute])
                except KeyError:  # digits other than 0-9 (\d is Unicode's)
                    self.time = (int(month), int(day), int(hour), int(minute))
        return self.time


# -- decoding and lines --------------------------------------------------------


def decode(data):
    """Bytes -> text: UTF-8 (BOM dropped), else Windows-1252. Refuses binary."""
    if isinstance(data, str):
        text = data
    else:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise DumpError("binary file (UTF-16 text is not a page dump)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1").translate(_CP1252_TABLE)
    # In the bytes when there are some: a NUL byte is a NUL character in UTF-8 and in
    # Latin-1 alike, and one memchr finds it faster than a search of the decoded text.
    if b"\x00" in data if isinstance(data, bytes) else "\x00" in text:
        # Lines as split_lines counts them (a lone CR is a line break too).
        line = len(_LINE_BREAK.findall(text, 0, text.index("\x00"))) + 1
        raise DumpError("binary file (NUL bytes)", line)
    return text.removeprefix("\ufeff")


def without_controls(text, data=None):
    """Control and non-characters become spaces (see ``_CONTROLS``); line breaks stay.

    ``data``, the bytes ``text`` was decoded from, when given: most dumps hold
    none of the bytes such a character needs, and one C pass over the bytes
    tells it ten times faster than the regex over the text.
    """
    if isinstance(data, bytes) and not data.translate(None, _CLEAN_BYTES):
        return text
    return _CONTROLS.sub(" ", text) if _CONTROLS.search(text) else text


def collapse(text):
    """NBSPs, tabs and runs of spaces become one plain space; ends stripped."""
    return " ".join(text.split())


def split_lines(text):
    """The text's :class:`_Lines`. Each step runs over all lines at once, in
    comprehensions and C string methods, not in a Python loop per line."""
    # str.split is far faster than the regex; CRLF first, then a lone CR, as _LINE_BREAK does.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Right ends stripped first: a blank line is then "", its indent 0 with no test.
    # map() over C methods: no Python bytecode runs per line.
    rights = list(map(str.rstrip, text.split("\n")))
    texts = list(map(str.lstrip, rights))
    indents = list(map(sub, map(len, rights), map(len, texts)))
    # Tabs or NBSPs in an indent count as columns (tabs to stops of 4); other
    # whitespace is one column, as len() counts it: without either, nothing to fix.
    if "\t" in text or "\u00a0" in text:
        for index in [i for i, n in enumerate(indents) if n and rights[i].count(" ", 0, n) != n]:
            right = rights[index]
            indents[index] = len(right[: indents[index]].replace("\u00a0", " ").expandtabs(4))
    # A line whose only whitespace is single spaces is already collapsed. In ASCII
    # (controls are gone) the other whitespace is a tab; elsewhere every whitespace
    # but the space is unprintable.
    texts = [
        collapse(body)
        if "  " in body or ("\t" in body if body.isascii() else not body.isprintable())
        else body
        for body in texts
    ]
    items = {}
    for index in [i for i, n in enumerate(indents) if n and texts[i][:1].isdecimal()]:
        item = item_line(texts[index])
        if item:
            items[index] = item
    return _Lines(texts, indents, items)


def item_line(text):
    r"""(number, rest) of an item line's text "12. Title - Label", or None.

    The rule ``(\d{1,6})\.(?:\s+(.*))?`` read by str methods, in a third of the
    regex's time: ``\d`` is what isdecimal() accepts (Unicode's Nd), ``\s`` what
    isspace() does (tests/test_parser_properties.py holds them to the regex).
    """
    number, dot, rest = text.partition(".")
    if not dot or len(number) > 6 or not number.isdecimal():
        return None
    if rest and not rest[0].isspace():  # "12.5 million": a number, not an item
        return None
    return int(number), rest.lstrip()


def strip_cut_mark(text):
    """Text without its trailing cut mark (one "…" or "..."), and whether there was one."""
    stripped = text.rstrip()
    if not stripped.endswith(_CUT_MARKS):  # most texts: one test for both marks
        return stripped, False
    for mark in _CUT_MARKS:
        if stripped.endswith(mark):
            return stripped[: -len(mark)].rstrip(), True
    return stripped, False


# -- anatomy -------------------------------------------------------------------


def collect_items(lines, start):
    """The numbered items from ``start``, and the index where they stop.

    An item owns the indented lines under it; an "N." line indented deeper
    than its item is text of that item. Blank lines inside a list are allowed
    when the list goes on after them. Read once per ``start`` (``_Lines.collected``).
    """
    found = lines.collected.get(start)
    if found is None:
        found = lines.collected[start] = _collect_items(lines, start)
    return found


def _collect_items(lines, start):
    # A run stops at prose (or blank lines before it); within it, each "N." line
    # no deeper than the item before starts an item, and owns the lines up to
    # the next one but its blank lines.
    texts, indents, numbered, starts = lines.text, lines.indent, lines.item, lines.item_starts
    end = lines.run_end(start)
    at = bisect_left(starts, start)
    items = []
    for index in starts[at : bisect_left(starts, end, at)]:
        if not items or indents[index] <= items[-1].indent:
            items.append(_Item(index + 1, indents[index], *numbered[index]))
    for item, following in zip(items, [item.number - 1 for item in items[1:]] + [end], strict=True):
        block = texts[item.number : following]  # item.number: the index of the line after it
        content = list(filter(None, block))
        if content:
            item.content = content
            # Its first line is the one right under the item, unless blank lines come first.
            item.content_number = item.number + (block.index(content[0]) if not block[0] else 0) + 1
    return items, end


def find_list(lines, start):
    """Index of the first line of the headline list at or after ``start``.

    A run of numbered items is the list when one of them has a time line, or
    when no prose follows it (a list whose time lines were all lost).
    """
    starts = lines.item_starts
    at = bisect_left(starts, start)
    while at < len(starts):
        index = starts[at]
        items, end = collect_items(lines, index)
        if any(item.read_time() for item in items) or not lines.prose_from(end):
            return index
        at = bisect_left(starts, end, at)
    return lines.count


@lru_cache(maxsize=4096)  # a dump repeats a handful of labels thousands of times
def region_for(label):
    """Map a section label to the region vocabulary, or None."""
    if not label:
        return None
    folded = label.casefold()
    exact = [region for region in REGIONS if region.casefold() == folded]
    if exact:
        return exact[0]
    prefixes = [region for region in REGIONS if folded.startswith(region.casefold())]
    if prefixes:
        return max(prefixes, key=len)
    extensions = [region for region in REGIONS if region.casefold().startswith(folded)]
    if extensions:
        return min(extensions, key=len)
    return None


def parse_teaser(item):
    """(dek, dek_truncated, region_label) from the first teaser item."""
    texts = item.content
    if not texts:
        return None, False, None
    label = None
    last = texts[-1]
    if len(texts) >= 2 and len(last) <= REGION_LABEL_MAX and not strip_cut_mark(last)[1]:
        label = last
        texts = texts[:-1]
    dek, truncated = strip_cut_mark(" ".join(texts))
    return dek, truncated, label


def parse_body(texts):
    """Paragraphs (blank-line separated), and whether the last one was cut."""
    paragraphs, current = [], []
    for text in texts:
        if not text:
            if current:
                paragraphs.append(" ".join(current))
                current = []
        else:
            current.append(text)
    if current:
        paragraphs.append(" ".join(current))
    truncated = False
    if paragraphs:
        paragraphs[-1], truncated = strip_cut_mark(paragraphs[-1])
        if not paragraphs[-1]:
            paragraphs.pop()
    return paragraphs, truncated


def split_title(rest):
    """ "title - label" -> (title, label): the label follows the last " - "."""
    head, separator, tail = rest.rpartition(" - ")
    head, tail = head.strip(), tail.strip()
    if separator and head and 1 <= len(tail) <= REGION_LABEL_MAX:
        return head, tail
    return rest, None


def split_credit(summary):
    """(text before the credit, credit or None).

    From the end of the credit, cut marks, link remains and a dangling "("
    are stripped, repeatedly, in one right-to-left scan: each character is
    looked at a bounded number of times, however many remains there are.
    """
    # A match ends at the first "©", its "Copyright" word (9 characters) right before
    # that "©" and the spaces between: the search starts there, not at every character,
    # and only when a "t" ends the text before (no other letter matches it in any
    # case, by the re module's rules): most credits start at their "©", no regex asked.
    first = summary.find("©")
    if first < 0:
        return summary, None
    before = _rstrip_to(summary, 0, first)
    if before and summary[before - 1] in "tT":
        start = _CREDIT_START.search(summary, max(0, before - 9)).start()
    else:
        start = first
    end = _rstrip_to(summary, start, len(summary))
    while end > start:
        last = summary[end - 1]
        if last == "…":
            end -= 1
        elif last == "." and summary.endswith("...", start, end):
            end -= 3
        elif last == "(":
            end -= 1
        elif last in _LINK_LAST_LETTERS:
            remains = _link_remains_at(summary, start, end)
            if remains is None:
                break
            end = remains
        else:
            break  # most credits: no remains can end here, no regex asked
        end = _rstrip_to(summary, start, end)
    return summary[:start].rstrip(), summary[start:end] or None


def _rstrip_to(text, start, end):
    """``end`` moved left over whitespace, not past ``start``."""
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _link_remains_at(text, start, end):
    """Where the link remains ending at ``end`` start ("read", "read more", ...), or None."""
    for last, first in _LINK_REMAINS:
        begin = end - len(last)
        if begin < start or not _LINK_WORD[last].fullmatch(text, begin, end):
            continue
        if first is None:
            return begin if _word_starts(text, start, begin) else None
        # "read  more": the first word, whitespace, the last word.
        gap = _rstrip_to(text, start, begin)
        before = gap - len(first)
        if gap < begin and before >= start and _LINK_WORD[first].fullmatch(text, before, gap):
            if _word_starts(text, start, before):
                return before
        return None
    return None


def _word_starts(text, start, index):
    """A regex ``\\b`` before ``text[index]`` (a word character), in the text from ``start``."""
    if index == start:
        return True
    before = text[index - 1]
    return not (before.isalnum() or before == "_")


@lru_cache(maxsize=4096)  # and a handful of credits
def source_name(credit):
    """The outlet's name inside a credit: no ©, years or "All rights reserved"."""
    name = _YEAR_RANGE.sub(" ", credit)
    name = _YEAR_ANY.sub(" ", name)
    name = _ALL_RIGHTS.sub(" ", name)
    name = _COPYRIGHT_WORDS.sub(" ", name)
    name = _SPACE_BEFORE_PUNCT.sub(r"\1", collapse(name))
    return name.strip(_NAME_EDGES) or None


def parse_summary(texts):
    """(summary, summary_truncated, credit, source) from the texts of an item's summary lines."""
    if not texts:
        return None, False, None, None
    text = " ".join(texts)
    text = text.removeprefix("Language Undefined").lstrip()
    before, credit = split_credit(text)
    summary, truncated = strip_cut_mark(before)
    return summary or None, truncated, credit, source_name(credit) if credit else None


# -- years ---------------------------------------------------------------------


def years_in(text):
    """Years that date a dump: full dates, and every year after a ©."""
    # Every year is "19.." or "20..": two substring tests are much cheaper than a search.
    if ("19" not in text and "20" not in text) or not _YEAR_ANY.search(text):
        return []
    years = []
    for pattern in (_DATE_MDY, _DATE_DMY):
        for match in pattern.finditer(text):
            month = _MONTHS.get(match["month"].casefold())
            if month and 1 <= int(match["day"]) <= 31:
                years.append(int(match["year"]))
    copyright_at = text.find("©")
    if copyright_at >= 0:
        years.extend(int(year) for year in _YEAR_ANY.findall(text, copyright_at))
    return years


@lru_cache(maxsize=256)
def _years_above(century, latest):
    """A regex for the four-digit numbers of ``century`` (1900, 2000) above ``latest``
    (None: all of them): every _YEAR_ANY match there and more, a cheap upper bound.
    Its literal prefix ("19", "20") makes it a fast string search."""
    prefix = str(century // 100)
    if latest is None or latest < century:
        return re.compile(prefix + r"\d\d")
    tens, units = divmod(latest - century, 10)
    higher = [f"{tens}[{units + 1}-9]"] if units < 9 else []
    if tens < 9:
        higher.append(rf"[{tens + 1}-9]\d")
    return re.compile(f"{prefix}(?:{'|'.join(higher)})")


def base_year(newest, captured_at, years, today):
    """The year of the newest headline, by the contract's order of sources."""
    if captured_at is not None:
        year = captured_at.year
        if newest is not None:
            month, day = newest
            # The latest year that does not date it after the capture.
            try:
                if date(year, month, day) > captured_at:
                    year -= 1
            except ValueError:
                pass
        return year
    if years:
        return max(years)
    return today.year


def date_headlines(items, headlines, warnings, captured_at, years, today):
    """Give each headline its published_at, rolling the year back as months rise."""
    times = [item.read_time() for item in items]
    first = next((time for time in times if time and 1 <= time[0] <= 12), None)
    newest = (first[0], first[1]) if first else None
    year = base_year(newest, captured_at, years() if captured_at is None else None, today)
    last_month = None
    for item, headline, time in zip(items, headlines, times, strict=True):
        if time is None:
            continue
        month, day, hour, minute = time
        if 1 <= month <= 12:
            if last_month is not None and month > last_month:
                year -= 1
            last_month = month
        try:
            headline.published_at = datetime(year, month, day, hour, minute)
        except ValueError:
            warnings.append(
                ParseWarning(item.content_number, f"impossible time {headline.time_label!r}")
            )


# -- the whole dump --------------------------------------------------------------


def parse_headline(item, warnings):
    title, label = split_title(item.rest)
    content = item.content
    time_label = None
    if item.read_time():
        time_label, content = content[0], content[1:]
    else:
        warnings.append(ParseWarning(item.number, "headline without a time line"))
    summary, summary_truncated, credit, source = parse_summary(content)
    if not title:
        warnings.append(ParseWarning(item.number, "headline without a title"))
    # By position, in the fields' order: a third of the time of the call by keyword.
    return ParsedHeadline(
        item.position,
        title,
        label,  # region_label
        region_for(label),
        time_label,
        None,  # published_at: date_headlines gives it, from the whole list
        summary,
        summary_truncated,
        credit,
        source,
        item.number,  # line
    )


def parse_list(lines, start, warnings):
    """Items of the list from ``start``; stray prose in the list is skipped with a warning."""
    items = []
    texts, index = lines.text, start
    while index < lines.count:
        if index in lines.item:
            found, index = collect_items(lines, index)
            items.extend(found)
        else:
            if texts[index]:
                warnings.append(ParseWarning(index + 1, "skipped text outside the list"))
            index += 1
    expected = 1
    for item in items:
        if item.position < expected:
            warnings.append(ParseWarning(item.number, f"position {item.position} repeated"))
        elif item.position > expected:
            warnings.append(
                ParseWarning(
                    item.number,
                    f"numbering skips from {expected - 1} to {item.position}",
                )
            )
        expected = item.position + 1
    return items


def find_article(lines, first_item, warnings):
    """(title, teaser item or None, index where the body starts) or None."""
    texts, indents = lines.text, lines.indent
    head = [index for index in range(first_item) if texts[index]]
    if not head:
        return None
    if first_item < lines.count:
        items, end = collect_items(lines, first_item)
        h1 = head[-1]
        # The teaser sits right under the h1. Past a blank line, untimed items
        # are a teaser only when body text follows them; otherwise they are a
        # headline list whose times were lost ("Latest headlines", blank, list).
        adjacent = h1 == first_item - 1 or (len(head) <= 2 and lines.prose_from(end))
        if indents[h1] == 0 and adjacent and not any(item.read_time() for item in items):
            for index in head[1:-1]:
                warnings.append(ParseWarning(index + 1, "skipped text before the h1"))
            return texts[h1], items[0], end
    if len(head) < 2:
        return None
    page_title, h1 = head[0], head[1]
    if indents[h1] == 0 and texts[h1].casefold() in texts[page_title].casefold():
        return texts[h1], None, h1 + 1
    return None


@contextmanager
def _collection_paused():
    """The cyclic garbage collector off for the block, back on after (if it was on).

    A parse makes an object or more per line and none of them form a cycle:
    collecting them is wasted work, and in a long-lived process each full
    collection it triggers walks the whole heap (a third of a big dump's parse).
    Reference counting still frees everything the parse drops.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def parse_dump(data, *, captured_at=None, today=None):
    """Parse a page dump (``bytes`` or ``str``) into a :class:`ParsedDump`.

    ``captured_at`` (a date) fixes the year of the headlines; ``today`` is the
    last resort for it. Raises :class:`DumpError` for what is not a dump.
    """
    with _collection_paused():
        return _parse_dump(data, captured_at=captured_at, today=today)


def _parse_dump(data, *, captured_at, today):
    text = without_controls(decode(data), data)
    if not text or text.isspace():  # not text.strip(): no copy of a big text
        raise DumpError("empty file")
    from newsroom import captures, html_capture  # they build on this module's classes

    if html_capture.is_html(text):
        return html_capture.parse_html(data, captured_at=captured_at, today=today)
    lines = split_lines(text)
    warnings = []
    first_item = lines.item_starts[0] if lines.item_starts else lines.count
    found = find_article(lines, first_item, warnings)
    article = None
    list_start = find_list(lines, 0)
    if found:
        title, teaser, body_start = found
        list_start = find_list(lines, body_start)
        dek, dek_truncated, label = parse_teaser(teaser) if teaser else (None, False, None)
        paragraphs, truncated = parse_body(lines.text[body_start:list_start])
        article = ParsedArticle(
            title=title,
            dek=dek,
            dek_truncated=dek_truncated,
            region_label=label,
            region=region_for(label),
            paragraphs=paragraphs,
            truncated=truncated,
        )
    else:
        if list_start == lines.count:
            return captures.parse_capture(text, captured_at=captured_at, today=today)
        skipped = [index for index in range(list_start) if lines.text[index]][1:]
        for index in skipped:
            warnings.append(ParseWarning(index + 1, "skipped text before the list"))
    items = parse_list(lines, list_start, warnings)
    headlines = [parse_headline(item, warnings) for item in items]

    def years():  # only read when captured_at does not give the year
        return dump_years(lines, article, items)

    date_headlines(items, headlines, warnings, captured_at, years, today or date.today())
    warnings.sort(key=lambda warning: warning.line)
    parsed = ParsedDump(article=article, headlines=headlines, warnings=warnings)
    return captures.better_reading(parsed, text, captured_at=captured_at, today=today)


def dump_years(lines, article, items):
    """The latest year the dump's own text gives (a list of it, or []): per paragraph,
    summary and other line.

    Indented lines are read through their item's joined text (a date may wrap);
    lines at column 0 also alone (the page title, skipped text).
    """
    texts = [lines.text[index] for index in lines.prose]
    texts.extend(map(attrgetter("rest"), items))
    if article:
        texts.extend(article.paragraphs)
        texts.append(article.dek or "")
    texts.extend(map(" ".join, map(attrgetter("content"), items)))
    # Only the latest year is used (base_year): a text whose years cannot beat it is
    # not searched for dates. All texts are scanned at once, joined by NUL (no
    # date, year or © rule crosses it), for year-like numbers above the latest so
    # far; only the texts holding one are read. The order texts are read in does
    # not change the latest, so each century is one scan: a literal prefix makes
    # it a fast string search (a regex starting with "19|20" tries every character).
    joined = "\x00".join(texts)
    latest = None
    for century in (2000, 1900):
        at = 0
        while latest is None or latest < century + 99:
            # Only a year above the latest so far can change it: a text whose years
            # are all below is passed over by the search itself, not by a test per match.
            found = _years_above(century, latest).search(joined, at)
            if not found:
                break
            start = joined.rfind("\x00", 0, found.start()) + 1
            at = joined.find("\x00", found.end())
            at = len(joined) if at < 0 else at
            for year in years_in(joined[start:at]):
                if latest is None or year > latest:
                    latest = year
    return [] if latest is None else [latest]
