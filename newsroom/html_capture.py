"""The HTML reading of a dump: a saved news page -> the article in it.

The extraction is trafilatura's (the field's standard extractor: it scores the
page's blocks, drops navigation, comments and footers, and reads the page's
metadata for title, author and date). What this module adds is the
contract's: the title is the page's own headline (its ``h1``) when the
metadata title is only another wording of it or carries the outlet, the date is
never after the capture, and headlines come only from list items with times.
No Django import: see ``newsroom/dumps.py``.
"""

from __future__ import annotations

import re

from newsroom import captures
from newsroom.captures import fold
from newsroom.dumps import DroppedLine, DumpError, ParsedArticle, ParsedDump, ParseWarning, collapse

_HTML_START = re.compile(rb"\s*<")
_HTML_MARK = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_SNIFF_BYTES = 1024


def is_html(data):
    """Whether the bytes (or text) are an HTML document: a ``<html`` or doctype near the start."""
    head = data[: _SNIFF_BYTES + 3]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    head = head.removeprefix(b"\xef\xbb\xbf")
    return bool(_HTML_START.match(head)) and bool(_HTML_MARK.search(head))


def _texts(tree, xpath):
    return [" ".join(element.text_content().split()) for element in tree.xpath(xpath)]


def _page_title(tree, metadata_title):
    """The page's headline: the h1 a metadata title agrees with, else that title's longest part.

    The metadata title (og:title or ``<title>``) is often the headline with the
    outlet around it ("Headline - Outlet", "Headline » Section » Outlet"), or a
    shorter wording for sharing; the h1 is what the page shows. An h1 that is
    only a small part of the metadata title is the logo or a section name.
    """
    hints = [metadata_title or ""]
    hints += _texts(tree, "//head/title") + tree.xpath("//meta[@property='og:title']/@content")
    cores = [fold(max(captures.title_parts(hint), key=len)) for hint in hints if hint.strip()]
    best, best_share = None, 0.0
    for h1 in _texts(tree, "//h1"):
        key = fold(h1)
        for core in cores:
            if key and core and (key in core or core in key):
                share = min(len(key), len(core)) / max(len(key), len(core))
                if share >= 0.5 and share > best_share:
                    best, best_share = h1, share
    if best:
        return best
    for hint in hints:
        if hint.strip():
            return max(captures.title_parts(hint), key=len)
    return None


# Elements that start a line of the page's text; what stands between them is one line.
_BLOCKS = frozenset(
    "address article aside blockquote br dd details div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol option p pre section summary table td th "
    "tr ul".split()
)
# Elements whose text a reader never sees.
_UNSEEN = frozenset("head script style noscript template svg iframe object select".split())


def page_lines(tree):
    """(source line, text) of each line of text the page shows, in one walk of the tree.

    Walked with start/end events, not recursion, so a deeply nested page neither
    overflows the stack nor costs more than its size. Changes ``tree``: its
    comments go (their tails stay), as the walk would not see those tails.
    """
    from lxml import etree

    etree.strip_tags(tree, etree.Comment, etree.ProcessingInstruction)
    lines, pieces, where = [], [], None
    unseen = 0  # depth inside an element whose text is not shown

    def add(text, line):
        nonlocal where
        if text:
            where = where or line
            pieces.append(text)

    def flush():
        nonlocal pieces, where
        text = collapse("".join(pieces))
        if text:
            lines.append((where or 1, text))
        pieces, where = [], None

    body = tree.find(".//body")
    for event, element in etree.iterwalk(body if body is not None else tree, ("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if unseen or tag in _UNSEEN:
                unseen += 1
            else:
                if tag in _BLOCKS:
                    flush()
                add(element.text, element.sourceline)
            continue
        if unseen:
            unseen -= 1
            if unseen:
                continue
        elif tag in _BLOCKS:
            flush()
        add(element.tail, element.sourceline)
    flush()
    return lines


def dropped_lines(tree, kept):
    """The page's lines whose text is none of ``kept`` (the article's parts): what was dropped."""
    # The extractor writes a list item as "- item"; the page shows "item".
    keys = {fold(text.removeprefix("- ")) for text in kept if text}
    return [
        DroppedLine(line, text, "not in the extracted article")
        for line, text in page_lines(tree)
        if fold(text) not in keys
    ]


def parse_html(data, *, captured_at=None, today=None):
    """Read a saved HTML page (bytes or text) into a ParsedDump with ``layout="html"``."""
    import trafilatura  # local: loading it takes a while and only HTML needs it

    limit = captures.capture_limit(captured_at, today)
    warnings = []
    document = trafilatura.bare_extraction(
        data, with_metadata=True, include_comments=False, include_tables=False
    )
    text = (document.text if document else "") or ""
    paragraphs = [" ".join(line.split()) for line in text.splitlines()]
    paragraphs = [paragraph for paragraph in paragraphs if paragraph]
    tree = trafilatura.load_html(data)  # decoded by the page's own charset
    title = document.title if document else None
    if tree is not None:
        title = _page_title(tree, title)
    if paragraphs and title and fold(paragraphs[0]) == fold(title):
        paragraphs = paragraphs[1:]  # the extractor keeps the h1 as the first line
    headlines = captures.timed_headlines_from_html(tree, limit) if tree is not None else []
    if not (title and paragraphs):
        if headlines:
            return ParsedDump(article=None, headlines=headlines, warnings=warnings, layout="html")
        found = "no article text" if not paragraphs else "no headline"
        raise DumpError(
            "not a page dump: an HTML page, but the extractor found "
            f"{found} in it and no list of headlines with times"
        )
    published = captures.iso_date(document.date) if document.date else None
    if published is not None and published > limit:
        warnings.append(ParseWarning(1, f"date {document.date} is after the capture date: dropped"))
        published = None
    title = " ".join(title.split())
    article = ParsedArticle(
        title=title,
        dek=(" ".join(document.description.split()) or None) if document.description else None,
        dek_truncated=False,
        region_label=None,
        region=None,
        paragraphs=paragraphs,
        truncated=False,
        byline=document.author or None,
        published_at=published,
    )
    kept = [title, article.dek, article.byline, *paragraphs]
    dropped = dropped_lines(tree, kept) if tree is not None else []
    return ParsedDump(
        article=article, headlines=headlines, warnings=warnings, layout="html", dropped=dropped
    )
