"""Headlines in the public templates: the sidebar, a headline row, two escaping helpers.

The templates' environment (newsroom/templating.py) offers them to every page,
the article page included: that is how the articles layer shows headlines
without importing them.
"""

import html
import json
from urllib.parse import urlsplit

from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from articles.prepared import url_maker
from articles.rendering import lang_attr, news_clock, time_html

from .selectors import sidebar_headlines

# What django.utils.html.json_script escapes, so that no text can close the
# <script> element or open a comment in it.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def sidebar(request, limit=None):
    """The latest headlines, as every page shows them.

    When the top layer's page cache renders a page it sets
    ``request.sidebar_placeholder``: the page then holds a marker, and the
    sidebar is rendered once per change and shared by every cached page.
    """
    placeholder = getattr(request, "sidebar_placeholder", None)
    if placeholder is not None:
        return placeholder(limit)
    return render_sidebar(limit)


def render_sidebar(limit=None):
    """The sidebar's markup: the latest headlines as a list, each by ``headline_html``.

    On a wide screen the column is as tall as the main one and shows what
    fits; on a phone only the first few items show (site.css), then the link.
    """
    clock, story_url = news_clock(), url_maker("story-detail", 0)
    rows = [
        headline_html(headline, heading="h3", to_story=True, clock=clock, story_url=story_url)
        for headline in sidebar_headlines(limit=limit)
    ]
    title = '<h2 id="sidebar-title" class="sidebar-title">Latest headlines</h2>\n'
    if not rows:
        return mark_safe(f"{title}<p>No headlines yet.</p>\n")  # noqa: S308 - constant
    more = f'<p class="more"><a href="{_e(reverse("headline-archive"))}">More headlines</a></p>\n'
    items = "".join(f'  <li class="sidebar-item">\n{row}</li>\n' for row in rows)
    # Every row is headline_html's escaped markup.
    return mark_safe(f'{title}<ol class="sidebar-list">\n{items}</ol>\n{more}')  # noqa: S308


def headline_body(headline, heading="h2", in_story=False):
    """One headline as every list prints it (``headline_html``)."""
    return headline_html(headline, heading=heading, in_story=in_story)


def headline_html(
    headline, *, heading="h2", to_story=False, in_story=False, clock=None, story_url=None
):
    """A headline's title, meta line and summary, as every list prints it.

    Python rather than a template include: the sidebar prints twenty of them
    on every page, and an include per row was most of an uncached page's
    time. Every value is escaped here with ``html.escape`` (what Django's
    ``escape`` calls), so the joined markup is safe. ``to_story``: the title
    links to the story page (the sidebar); ``in_story``: the story page,
    which adds the outlet link and the credit. ``clock`` (a ``news_clock()``) and
    ``story_url`` (its ``url_maker``) may be shared by the rows of one list.
    """
    story_url = story_url or url_maker("story-detail", 0)
    link = http_url(headline.url)
    title = _e(headline.title)
    article_slug = getattr(headline, "article_slug", None)
    if to_story and headline.story_id:
        title = f'<a href="{_e(story_url(headline.story_id))}">{title}</a>'
    elif article_slug:
        title = f'<a href="{_e(reverse("article-detail", args=[article_slug]))}">{title}</a>'
    elif link:
        title = f'<a href="{_e(link)}" rel="nofollow noopener noreferrer">{title}</a>'
    heading = _e(heading)
    parts = [
        f'<{heading} class="headline-title" dir="auto"{lang_attr(headline.title)}>'
        f"{title}</{heading}>\n"
    ]
    region, source = getattr(headline, "primary_region", None), headline.source
    if region:
        href = _e(absolute_url(region))
        meta = f'<a class="region" href="{href}" dir="auto">{_e(region.name)}</a>'
    elif headline.region_label:
        meta = f'<span class="region" dir="auto">{_e(headline.region_label)}</span>'
    else:
        meta = ""
    if source:
        outlet = (
            f' · <a class="outlet" href="{_e(absolute_url(source))}" dir="auto">'
            f"{_e(source.display_name)}</a>"
        )
    elif headline.credit:
        credit = Truncator(headline.credit).chars(40)
        outlet = f' · <span class="outlet" dir="auto">{_e(credit)}</span>'
    else:
        outlet = ""
    outlets = getattr(headline, "story_outlets", None) or 0
    if outlets > 1 and not in_story:
        url = _e(story_url(headline.story_id))
        outlet += f' · <a class="outlets" href="{url}">{int(outlets)} outlets</a>'
    moment = headline.published_at
    when = time_html(moment, clock or news_clock()) if moment else ""
    parts.append(f'<p class="headline-meta">{meta}\n  {when}{outlet}</p>\n')
    if headline.summary:
        cut = "…" if headline.summary_truncated else ""
        parts.append(
            f'<p class="headline-summary" dir="auto"{lang_attr(headline.summary)}>'
            f"{_e(headline.summary)}{cut}</p>\n"
        )
    if in_story:
        if article_slug and link:
            parts.append(
                f'<p class="headline-links"><a href="{_e(link)}" '
                'rel="nofollow noopener noreferrer">At the outlet</a></p>'
            )
        if headline.credit:
            parts.append(f'<p class="credit" dir="auto">{_e(headline.credit)}</p>')
    # SafeString, not mark_safe: the same for a str, without its lazy-string wrapper.
    return SafeString("".join(parts))  # every value above went through _e


def _e(value):
    """Escaped text: Django's ``escape`` without its lazy-string and SafeString wrapping."""
    return html.escape(str(value))


def absolute_url(obj):
    """``get_absolute_url`` of a model (a method) or of a sidebar row's namespace (a string)."""
    url = obj.get_absolute_url
    return url() if callable(url) else url


def http_url(value):
    """The URL if it is http(s), else "": a dump's ``javascript:`` never becomes a link."""
    value = (value or "").strip()
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return ""
    return value if scheme in {"http", "https"} else ""


def json_ld(value):
    """``value`` as a JSON-LD <script>, escaped like Django's ``json_script``.

    ``json_script`` writes ``type="application/json"``; search engines want
    ``application/ld+json``. The JSON is made safe by the escapes above, not
    trusted: ``<``, ``>`` and ``&`` never appear in it raw.
    """
    text = json.dumps(value, cls=DjangoJSONEncoder).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308
