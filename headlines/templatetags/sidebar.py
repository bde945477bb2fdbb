"""The site's template library: the ``{% sidebar %}`` and two escaping helpers.

``{% load sidebar %}`` in any template (the article page included: that is how
the articles layer shows headlines without importing them).
"""

import json
from urllib.parse import urlsplit

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..selectors import sidebar_headlines

register = template.Library()

# What django.utils.html.json_script escapes, so that no text can close the
# <script> element or open a comment in it.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def sidebar(context, limit=None):
    """The latest headlines, as every page shows them.

    When the top layer's page cache renders a page it sets
    ``request.sidebar_placeholder``: the page then holds a marker, and the
    sidebar is rendered once per change and shared by every cached page.
    """
    placeholder = getattr(context.get("request"), "sidebar_placeholder", None)
    if placeholder is not None:
        return placeholder(limit)
    return render_sidebar(limit)


def render_sidebar(limit=None):
    return render_to_string("includes/sidebar.html", {"headlines": sidebar_headlines(limit=limit)})


@register.filter
def http_url(value):
    """The URL if it is http(s), else "": a dump's ``javascript:`` never becomes a link."""
    value = (value or "").strip()
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return ""
    return value if scheme in {"http", "https"} else ""


@register.filter
def json_ld(value):
    """``value`` as a JSON-LD <script>, escaped like Django's ``json_script``.

    ``json_script`` writes ``type="application/json"``; search engines want
    ``application/ld+json``. The JSON is made safe by the escapes above, not
    trusted: ``<``, ``>`` and ``&`` never appear in it raw.
    """
    text = json.dumps(value, cls=DjangoJSONEncoder).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308
