"""The Jinja2 environment of the public site's templates (public_templates/).

The public pages render in Jinja2: on the uncached article page Django's
template engine took most of the time (bench/README.md). The admin keeps
Django's templates (templates/). Everything a template prints is escaped
(autoescape on) unless it is already safe markup from our helpers; dump text
never is.
"""

import functools

from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import conditional_escape
from jinja2 import ChainableUndefined, Environment

from articles.rendering import (
    card_regions,
    is_rtl,
    lang_attr,
    news_time,
    site_url,
    xml_text,
)
from headlines.rendering import absolute_url, headline_body, http_url, json_ld, sidebar

# A static file's URL is fixed for the life of the process (the manifest is read
# once); looking it up in the storage costs more than the rest of the header.
static_url = functools.lru_cache(maxsize=512)(static)


def truncatechars(value, length):
    """Django's ``truncatechars``, without its per-character scan for text that fits."""
    value = str(value)
    return value if len(value) <= length else defaultfilters.truncatechars(value, length)


def url(name, *args):
    """``{% url %}``: ``reverse(name, args=args)``."""
    return reverse(name, args=args)


def default(value, fallback=""):
    """Django's ``default``: ``fallback`` for any false value, not only an undefined one."""
    return value or fallback


def environment(**options):
    # Undefined names and attributes print nothing and chain, as in Django's
    # templates (``filters.source.slug`` with no source filter).
    options["undefined"] = ChainableUndefined
    # Django keeps a template's last newline; so do we, for the same bytes.
    options["keep_trailing_newline"] = True
    # Every printed value escaped as Django escapes it (&quot; and &#x27;, where
    # MarkupSafe writes &#34; and &#39;): the same bytes as Django's templates.
    options["finalize"] = conditional_escape
    env = Environment(**options)
    env.globals.update(
        static=static_url,
        url=url,
        site_url=site_url,
        sidebar=sidebar,
        headline_body=headline_body,
    )
    env.filters.update(
        default=default,
        date=defaultfilters.date,
        truncatechars=truncatechars,
        pluralize=defaultfilters.pluralize,
        absolute_url=absolute_url,
        card_regions=card_regions,
        http_url=http_url,
        is_rtl=is_rtl,
        json_ld=json_ld,
        lang_attr=lang_attr,
        news_time=news_time,
        xml_text=xml_text,
    )
    return env
