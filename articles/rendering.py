"""Helpers of the public templates (public_templates/): news-style times, text scripts.

In the base layer so that every page (articles' and headlines') can use them;
newsroom/templating.py puts them in the templates' environment.
"""

import functools
import unicodedata

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .feeds import xml_safe


def site_url(name):
    """``url(name)`` for a URL without arguments, reversed once per URLconf and prefix.

    The header and footer print a dozen such links on every page, and each
    ``reverse`` walks the resolver: tens of microseconds apiece.
    """
    return _site_url(name, get_urlconf(), get_script_prefix())


@functools.lru_cache(maxsize=256)
def _site_url(name, urlconf, prefix):
    return reverse(name, urlconf=urlconf)


def news_time(moment, date_only=False):
    """``<time>``: ``21:10`` today, ``28 Mar, 21:10`` this year, ``28 Mar 2017`` before.

    ``date_only``: the source gave a day without a time, so none is printed.
    """
    return time_html(moment, news_clock(), date_only=date_only) if moment else ""


def news_clock():
    """(zone, today, this year) for ``time_html``: read once per list, not per row
    (the zone is a context-local lookup)."""
    zone = timezone.get_current_timezone()
    now = timezone.now().astimezone(zone)
    return zone, now.date(), now.year


def time_html(moment, clock, *, date_only=False):
    """``news_time`` of ``moment`` against a ``news_clock()``."""
    zone, today, year = clock
    local = moment.astimezone(zone)
    if date_only:
        text = f"{local.day} {local:%b %Y}" if local.year != year else f"{local.day} {local:%b}"
        stamp = local.date().isoformat()
    else:
        if local.date() == today:
            text = f"{local:%H:%M}"
        elif local.year == year:
            text = f"{local.day} {local:%b, %H:%M}"
        else:
            text = f"{local.day} {local:%b %Y}"
        stamp = local.isoformat()
    # Digits, month names and an ISO stamp: nothing in them needs escaping.
    return SafeString(f'<time datetime="{stamp}">{text}</time>')


# Letters that only Persian writes in the Arabic script.
_PERSIAN = set("پچژگ")


def text_lang(text):
    """The language a right-to-left text is in, guessed from its script: ar, fa, he or "".

    Only those: a Latin-script text could be any language, so it stays unnamed.
    """
    for char in (text or "")[:400]:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            if "\u0590" <= char <= "\u05ff":
                return "he"
            return "fa" if _PERSIAN & set(text) else "ar"
        if direction == "L":
            return ""
    return ""


def is_rtl(text):
    return bool(text_lang(text))


def lang_attr(text):
    """`` lang="ar"`` for text in a known right-to-left language, else nothing."""
    lang = text_lang(text)
    return format_html(' lang="{}"', lang) if lang else ""


def card_regions(article):
    """The regions a card prints: those the view attached (the front page), else the
    prefetched ones, by name."""
    regions = getattr(article, "regions", None)
    if regions is None:
        regions = sorted(article.region_tags.all(), key=lambda tag: tag.name.casefold())
    return regions


def xml_text(value):
    """Text with the characters XML 1.0 cannot carry turned into spaces (then escaped)."""
    return xml_safe(value or "")
