"""Article bodies as rich text: one allow-list, applied on save and again on render.

A body is HTML of paragraphs, links, bold/italic, subheadings (h2, h3),
block quotes and lists, nothing else. Whatever is posted or stored goes
through :func:`sanitize` (nh3, an allow-list: no script, no event handler,
no style, no ``javascript:`` URL). Text from dumps enters only escaped,
through :func:`paragraphs_html`.
"""

import html
import re

import nh3
from django.utils.safestring import mark_safe

TAGS = {"p", "br", "a", "strong", "em", "h2", "h3", "blockquote", "ul", "ol", "li"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}

# The editor (django-prose-editor) offers exactly what the allow-list keeps.
EDITOR_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Heading": {"levels": [2, 3]},
    "Blockquote": True,
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "HardBreak": True,
    "Link": {"enableTarget": False, "protocols": sorted(URL_SCHEMES)},
}

_cleaner = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer",
    strip_comments=True,
)
_EMPTY = re.compile(r"^(<p>(<br>)?</p>|\s)*$")
_BLOCK_END = re.compile(r"</(p|h2|h3|li|blockquote)>", re.IGNORECASE)
_CLOSING_RUN = re.compile(r"((?:</[a-z0-9]+>\s*)+)$", re.IGNORECASE)


def sanitize(value):
    """The body as it may be stored and shown; an empty editor is an empty string."""
    cleaned = _cleaner.clean(value or "").strip()
    # Misnested markup (a heading inside a link inside a heading) can serialise
    # to HTML that parses into another tree: clean until stable, so what is
    # stored, shown and compared is the same. Two passes settle what was seen.
    for _ in range(3):
        again = _cleaner.clean(cleaned).strip()
        if again == cleaned:
            break
        cleaned = again
    return "" if _EMPTY.match(cleaned) else cleaned


def paragraphs_html(paragraphs):
    """Plain-text paragraphs (from a dump) as body HTML: escaped, one <p> each."""
    return sanitize("".join(f"<p>{html.escape(p.strip())}</p>" for p in paragraphs if p.strip()))


def plain_paragraphs(text):
    """A plain body of the old format (blank-line separated) as its paragraphs."""
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def render(value, *, cut=False):
    """Sanitised again (a row written by any path is still safe), safe to insert.

    ``cut``: the piece was truncated; the cut mark ends its last block.
    """
    cleaned = sanitize(value)
    if cut and cleaned:
        cleaned = _CLOSING_RUN.sub(lambda m: "…" + m.group(1), cleaned, count=1)
    return mark_safe(cleaned)  # noqa: S308 - sanitised by the allow-list just above


def as_text(value):
    """A readable text version, one line a block, for revision diffs.

    Subheadings start with ``## ``, quotes with ``> ``, list items with ``- ``,
    links keep their address: ``text (https://...)``.
    """
    text = re.sub(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', r"\2 (\1)", sanitize(value))
    text = re.sub(r"<h[23]>", "## ", text)
    text = re.sub(r"<blockquote>", "> ", text)
    text = re.sub(r"<li>", "- ", text)
    text = re.sub(r"<br>", "\n", text)
    text = _BLOCK_END.sub("\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    lines = (" ".join(line.split()) for line in html.unescape(text).splitlines())
    return "\n".join(line for line in lines if line)
