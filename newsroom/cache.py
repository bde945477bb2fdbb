"""The public site's page cache: whole responses, invalidated by a site version.

Anonymous GET responses are kept in the Django cache under a key that carries
the site's *version*, a number stored in the cache itself. Any change to what
a page may show (an article, headline, source, tag, appearance, an imported
dump) bumps the version, so every page is rebuilt on its next request: a
published change is visible at once, with no list of keys to hunt down.

Scheduled articles become live, and expiring ones are taken down, by the
clock, not by a write, so no page is kept past the next scheduled publish or
expiry time: the article appears and goes on time with no cron job.
Browsers get ``Cache-Control: public`` with a short max-age,
``Last-Modified`` and an ``ETag`` (304 on a match). Signed-in users (editors,
previews) are never served from, nor stored in, the cache.

A page is keyed on its scheme, host and path and on the query parameters its
view *declares* (``public_page(view, params=(...))``), never on the raw query
string: ``/sitemap.xml?r=<random>`` is the cached sitemap, not a new render.
The view is called seeing only those parameters (each with the one value it
reads), so nothing the key leaves out can reach the page, not even a link that
copies the query string.

With the default local-memory cache each process has its own pages and
version, so a change made by another process (``import_dump`` from cron,
another gunicorn worker) shows after at most ``PAGE_CACHE_SECONDS``. Use
Redis (``CACHE_URL``) to share one version between all processes.
"""

import hashlib
import math
import time
from datetime import UTC, datetime
from functools import wraps
from importlib import import_module

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Subquery
from django.http import QueryDict
from django.middleware.http import ConditionalGetMiddleware
from django.urls import URLPattern
from django.utils import timezone
from django.utils.cache import (
    add_never_cache_headers,
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)
from django.utils.decorators import decorator_from_middleware
from django.utils.http import http_date

VERSION_KEY = "site:version"
NEXT_PUBLISH_KEY = "site:next-publish:{version}"
NO_SCHEDULE_SECONDS = 24 * 60 * 60


def page_seconds():
    return getattr(settings, "PAGE_CACHE_SECONDS", 120)


def browser_seconds():
    return getattr(settings, "PAGE_BROWSER_SECONDS", 60)


def _fresh_version():
    # A clock reading, not 1: if the version key is ever evicted, the new
    # number is still above every version pages were stored under.
    return time.time_ns() // 1000


def site_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def bump_site_version():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or evicted)
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)


def content_changed(sender, **kwargs):
    """Signal receiver: bump now, and again when the transaction commits.

    The second bump matters: a reader between the first bump and the commit
    still sees the old rows and may cache a page of them under the new version.
    """
    bump_site_version()
    transaction.on_commit(bump_site_version, robust=True)


def seconds_to_next_publish(version, now):
    """Seconds from ``now`` until the soonest scheduled article goes live or live
    article is taken down (None: neither).

    Asked once per site version and kept until that moment: one query after
    each change, not one per page. Times are read from ``timezone.now()``
    (a timestamp), so tests can move the clock.
    """
    key = NEXT_PUBLISH_KEY.format(version=version)
    moment = cache.get(key)
    if moment is None or 0 < moment <= now:
        from articles.models import Article

        when = datetime.fromtimestamp(now, tz=UTC)
        published = Article.objects.filter(status=Article.Status.PUBLISHED)
        # One query of two indexed scalar subqueries (the outer row is any row:
        # no article at all means nothing is scheduled either).
        subqueries = {
            name: Subquery(
                published.filter(**{f"{name}__gt": when}).order_by(name).values(name)[:1]
            )
            for name in ("published_at", "expires_at")
        }
        row = (
            Article.objects.order_by()
            .annotate(**{f"next_{name}": query for name, query in subqueries.items()})
            .values_list(*(f"next_{name}" for name in subqueries))[:1]
        )
        upcoming = [moment for moment in next(iter(row), ()) if moment]
        soonest = min(upcoming, default=None)
        moment = soonest.timestamp() if soonest else 0
        keep = math.ceil(moment - now) if soonest else NO_SCHEDULE_SECONDS
        cache.set(key, moment, timeout=max(1, keep))
    return moment - now if moment else None


def declared_query(request, params):
    """The request's query cut to ``params``: sorted, and the last value of each.

    The last value is the one ``request.GET.get`` (what every view uses) reads,
    so ``?q=a&q=b`` is the same page as ``?q=b``. ``params`` maps each name to
    None or to a function giving a value's one spelling (None: as if absent).
    """
    query = QueryDict(mutable=True)
    for name, normalise in sorted(params.items()):
        if name not in request.GET:
            continue
        value = request.GET[name]
        if normalise is not None:
            value = normalise(value)
        if value is not None:
            query[name] = value
    query._mutable = False
    return query


def page_number(value):
    """A ``?p=`` page number in one spelling: 007, +7 and 7 are one page; 1 is no ``p``.

    Anything not a number is kept as it is, for the view to refuse.
    """
    try:
        number = int(value)
    except ValueError:
        return value
    return None if number == 1 else str(number)


def _page_key(request, query, version):
    # request.scheme honours SECURE_PROXY_SSL_HEADER: an http and an https
    # reader never share a page (robots.txt and canonical links name the scheme).
    where = f"{request.scheme}://{request.get_host()}{request.path}?{query.urlencode()}"
    return f"page:{version}:{hashlib.sha256(where.encode()).hexdigest()}"


def _render_seeing(view, request, query, args, kwargs):
    """Call ``view`` (and render it) with ``query`` as the whole query string, then restore it."""
    raw_get, raw_query_string = request.GET, request.META.get("QUERY_STRING")
    request.GET, request.META["QUERY_STRING"] = query, query.urlencode()
    try:
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()  # templates read request.GET too
        return response
    finally:
        request.GET = raw_get
        if raw_query_string is None:
            del request.META["QUERY_STRING"]
        else:
            request.META["QUERY_STRING"] = raw_query_string


def _storable(response):
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not any(word in cache_control for word in ("private", "no-cache", "no-store"))
    )


def _conditional(view):
    return decorator_from_middleware(ConditionalGetMiddleware)(view)


def public_page(view, *, params=()):
    """Serve ``view`` from the page cache for anonymous GET/HEAD requests.

    ``params`` names the query parameters the view (or its template) reads,
    as names or as a mapping of name to normaliser (see :func:`declared_query`);
    the view never sees any other, signed in or not.
    """
    params = dict(params) if isinstance(params, dict) else dict.fromkeys(params)

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        query = declared_query(request, params)
        if request.user.is_authenticated:
            response = _render_seeing(view, request, query, args, kwargs)
            add_never_cache_headers(response)
            return response
        now = timezone.now().timestamp()
        version = site_version()
        key = _page_key(request, query, version)
        until_publish = seconds_to_next_publish(version, now)
        keep = page_seconds() if until_publish is None else min(page_seconds(), until_publish)
        # Entries carry their own end (by the clock pages are judged by), so a
        # page never outlives the next publish time even if the cache keeps it.
        expires_at, response = cache.get(key, (0, None))
        if response is None or now >= expires_at:
            response = _render_seeing(view, request, query, args, kwargs)
            if not _storable(response):
                return response
            response["Last-Modified"] = http_date(now)
            set_response_etag(response)
            patch_vary_headers(response, ["Cookie"])
            if keep >= 1:
                cache.set(key, (now + keep, response), timeout=math.ceil(keep))
            expires_at = now + keep
        max_age = max(0, math.floor(min(expires_at - now, browser_seconds())))
        patch_cache_control(response, public=True, max_age=max_age)
        return response

    return _conditional(cached_view)


def public_urls(module_name, params=None):
    """The URL patterns of ``module_name`` with every view wrapped in :func:`public_page`.

    Lets the top layer add caching to the apps' views without them importing it.
    ``params`` maps a URL name to the query parameters its view reads (none
    when absent); a name that matches no pattern is an error, not a silent miss.
    """
    params = dict(params or {})
    patterns = import_module(module_name).urlpatterns
    wrapped = []
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            raise TypeError(f"{module_name}: only plain paths can be wrapped, not {pattern!r}")
        view = public_page(pattern.callback, params=params.pop(pattern.name, ()))
        wrapped.append(URLPattern(pattern.pattern, view, pattern.default_args, pattern.name))
    if params:
        raise ValueError(f"{module_name}: no URL named {', '.join(sorted(params))}")
    return wrapped
