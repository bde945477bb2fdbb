"""The public site's page cache: whole pages, and the sidebar once for all of them.

Anonymous GET responses are kept in the Django cache. Two *versions*, numbers
stored in the cache itself, say what a page was made from: ``content`` (our
articles, sources, tags) and ``headlines`` (headlines, their appearances,
stories, dumps). A change bumps the version of what it touched, so the
pages that list it are rebuilt on their next request; an import touches
headlines only, so it leaves the article pages alone. Each page names the
versions it depends on (``public_page(view, lists=...)``).

The sidebar, which every page shows and every import changes, is not part of
a stored page: the page holds a marker where it goes, and the sidebar is
rendered once per change of either version and stored on its own. A hit
splices it in. After an import the sidebar is rendered once in total, not
once per page.

A hit is answered by :class:`PageCacheMiddleware`, placed before sessions,
auth, messages and CSRF, which a hit does not need: one cache round trip
(the page and the sidebar in one ``get_many``; the versions are held in the
process for ``VERSION_HOLD_SECONDS``), the ETag and Last-Modified stored with
the pieces. Requests that carry a session cookie go the long way, through the
view wrapper, which never serves nor stores a signed-in page.

Scheduled articles become live, and expiring ones are taken down, by the
clock, not by a write, so no page or sidebar is kept past the next scheduled
publish or expiry time: the article appears and goes on time with no cron job. Browsers get
``Cache-Control: public`` with a short max-age, ``Last-Modified`` and an
``ETag`` (304 on a match).

A page is keyed on its scheme, host and path and on the query parameters its
view *declares* (``public_page(view, params=(...))``), never on the raw query
string: ``/sitemap.xml?r=<random>`` is the cached sitemap, not a new render.
The view is called seeing only those parameters (each with the one value it
reads), so nothing the key leaves out can reach the page.

With the default local-memory cache each process has its own pages and
versions, so a change made by another process (``import_dump`` from cron,
another worker) shows after at most ``PAGE_CACHE_SECONDS``. Use Redis
(``CACHE_URL``) to share them between all processes.
"""

import hashlib
import hmac
import math
import re
import time
from datetime import UTC, datetime
from functools import wraps
from importlib import import_module

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Subquery
from django.http import HttpResponse, QueryDict
from django.urls import Resolver404, URLPattern, resolve
from django.utils import timezone
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_vary_headers,
)
from django.utils.http import http_date
from django.utils.safestring import mark_safe

VERSION_KEYS = {"content": "site:version", "headlines": "site:headlines-version"}
EVERYTHING = ("content", "headlines")
NEXT_PUBLISH_KEY = "site:next-publish:{version}"
NO_SCHEDULE_SECONDS = 24 * 60 * 60
VERSION_HOLD_SECONDS = 1.0


def page_seconds():
    return getattr(settings, "PAGE_CACHE_SECONDS", 120)


def browser_seconds():
    return getattr(settings, "PAGE_BROWSER_SECONDS", 60)


def _fresh_version():
    # A clock reading, not 1: if the version key is ever evicted, the new
    # number is still above every version pages were stored under.
    return time.time_ns() // 1000


_held = {"at": -math.inf, "versions": None}


def versions(*, hold=False):
    """``{"content": n, "headlines": m}``; ``hold``: a copy at most a second old may do."""
    now = time.monotonic()
    if hold and now - _held["at"] < VERSION_HOLD_SECONDS:
        return _held["versions"]
    found = cache.get_many(list(VERSION_KEYS.values()))
    result = {}
    for kind, key in VERSION_KEYS.items():
        if key not in found:
            cache.add(key, _fresh_version(), timeout=None)
            found[key] = cache.get(key)
        result[kind] = found[key]
    _held.update(at=now, versions=result)
    return result


def site_version():
    """Both versions as one comparable value: it grows on any change a page may show."""
    found = versions()
    return tuple(found[kind] for kind in EVERYTHING)


def bump_site_version(kinds=EVERYTHING):
    for kind in kinds:
        try:
            cache.incr(VERSION_KEYS[kind])
        except ValueError:  # no version yet (or evicted)
            cache.add(VERSION_KEYS[kind], _fresh_version(), timeout=None)
    _held["at"] = -math.inf  # this process sees its own change at once


def changed(kinds):
    """Bump ``kinds`` now, and again when the transaction commits.

    The second bump matters: a reader between the first bump and the commit
    still sees the old rows and may cache a page of them under the new version.
    """
    bump_site_version(kinds)
    transaction.on_commit(lambda: bump_site_version(kinds), robust=True)


def content_changed(sender, **kwargs):
    """Signal receiver for our articles, sources and tags (and anything not sorted out)."""
    instance = kwargs.get("instance")
    if kwargs.get("created") and getattr(instance, "is_live", True) is False:
        return  # a new draft (an import's article) is on no public page
    changed(EVERYTHING)


def headlines_changed(sender, **kwargs):
    """Signal receiver for headlines, appearances, stories and dumps: imports touch only these."""
    changed(("headlines",))


def seconds_to_next_publish(version, now):
    """Seconds from ``now`` until the soonest scheduled article goes live or live
    article is taken down (None: neither).

    Asked once per content version and kept until that moment: one query after
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


def _keep_seconds(content_version, now):
    until_publish = seconds_to_next_publish(content_version, now)
    return page_seconds() if until_publish is None else min(page_seconds(), until_publish)


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


# -- the sidebar, once for every page ------------------------------------------


def _marker_secret():
    # Unguessable and the same in every process sharing the cache: a dump's
    # text (escaped anyway) can never place a sidebar.
    return hmac.new(settings.SECRET_KEY.encode(), b"sidebar-marker", "sha256").hexdigest()[:16]


def _marker(limit):
    return f"<!--sidebar {_marker_secret()} {'' if limit is None else int(limit)}-->"


def _split_markers(body):
    """``[bytes, limit, bytes, ...]``: the page with each sidebar marker as its limit."""
    pattern = re.compile(rb"<!--sidebar " + _marker_secret().encode() + rb" (\d*)-->")
    parts, start = [], 0
    for match in pattern.finditer(body):
        parts += [body[start : match.start()], int(match[1]) if match[1] else None]
        start = match.end()
    parts.append(body[start:])
    return parts


def _sidebar_key(found, limit):
    limit = settings.SIDEBAR_HEADLINES if limit is None else limit
    return f"sidebar:{found['content']}:{found['headlines']}:{limit}"


def _render_sidebar_entry(found, limit, now):
    from headlines.templatetags.sidebar import render_sidebar

    html = render_sidebar(limit).encode()
    keep = _keep_seconds(found["content"], now)
    entry = (now + keep, html, hashlib.md5(html, usedforsecurity=False).hexdigest()[:12], now)
    if keep >= 1:
        cache.set(_sidebar_key(found, limit), entry, timeout=math.ceil(keep))
    return entry


# -- pages ---------------------------------------------------------------------


def _page_key(request, query, found, lists):
    # request.scheme honours SECURE_PROXY_SSL_HEADER: an http and an https
    # reader never share a page (robots.txt and canonical links name the scheme).
    where = f"{request.scheme}://{request.get_host()}{request.path}?{query.urlencode()}"
    stamp = ":".join(str(found[kind]) for kind in lists)
    return f"page:{stamp}:{hashlib.sha256(where.encode()).hexdigest()}"


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


def _assemble(request, entry, sidebars, now):
    """The response of a stored page with its sidebars spliced in (ETag from stored hashes)."""
    expires_at, status, headers, parts, digest, stored_at = entry
    body, etag, modified = [], [digest], stored_at
    for index, part in enumerate(parts):
        if index % 2 == 0:
            body.append(part)
            continue
        side = sidebars[part]
        body.append(side[1])
        etag.append(side[2])
        expires_at, modified = min(expires_at, side[0]), max(modified, side[3])
    response = HttpResponse(b"".join(body), status=status, headers=headers)
    response["ETag"] = f'"{"".join(etag)}"'
    response["Last-Modified"] = http_date(modified)
    max_age = max(0, math.floor(min(expires_at - now, browser_seconds())))
    response["Cache-Control"] = f"public, max-age={max_age}"
    return get_conditional_response(
        request, etag=response["ETag"], last_modified=math.floor(modified), response=response
    )


def _sidebars(found, parts, now, fetched=None):
    """The sidebar entries ``parts`` needs, from ``fetched``, the cache, or rendered once."""
    fetched = dict(fetched or {})
    limits = {part for index, part in enumerate(parts) if index % 2}
    wanted = [_sidebar_key(found, limit) for limit in limits]
    wanted = [key for key in wanted if key not in fetched]
    if wanted:
        fetched.update(cache.get_many(wanted))
    entries = {}
    for limit in limits:
        entry = fetched.get(_sidebar_key(found, limit))
        if entry is None or now >= entry[0]:
            entry = _render_sidebar_entry(found, limit, now)
        entries[limit] = entry
    return entries


def cached_page(request, *, params, lists):
    """The stored page for an anonymous ``request`` as a response, or None (a miss).

    On a miss, ``request.page_cache_store`` says where the response is to be stored.
    """
    now = timezone.now().timestamp()
    found = versions(hold=True)
    query = declared_query(request, params)
    key = _page_key(request, query, found, lists)
    usual = _sidebar_key(found, None)
    fetched = cache.get_many([key, usual])  # one round trip for the usual page
    entry = fetched.pop(key, None)
    if entry is None or now >= entry[0]:
        request.page_cache_store = (key, found, now)
        return None
    return _assemble(request, entry, _sidebars(found, entry[3], now, fetched), now)


def store_page(request, response):
    """Store a freshly rendered anonymous page (markers kept) and splice its sidebars in."""
    key, found, now = request.page_cache_store
    if not _storable(response):
        return _splice_plain(response, found, now)
    patch_vary_headers(response, ["Cookie"])
    body = response.content
    parts = _split_markers(body)
    digest = hashlib.md5(b"".join(parts[::2]), usedforsecurity=False).hexdigest()[:12]
    keep = _keep_seconds(found["content"], now)
    skip = {"content-length", "etag", "last-modified", "cache-control"}
    headers = [(name, value) for name, value in response.items() if name.lower() not in skip]
    entry = (now + keep, response.status_code, headers, parts, digest, now)
    if keep >= 1:
        cache.set(key, entry, timeout=math.ceil(keep))
    return _assemble(request, entry, _sidebars(found, parts, now), now)


def _splice_plain(response, found, now):
    """A page that is not stored (a 404, a cookie): its markers replaced, nothing kept."""
    if response.streaming or not hasattr(response, "content"):
        return response
    parts = _split_markers(response.content)
    if len(parts) > 1:
        sidebars = _sidebars(found, parts, now)
        response.content = b"".join(
            part if index % 2 == 0 else sidebars[part][1] for index, part in enumerate(parts)
        )
    return response


def public_page(view, *, params=(), lists=EVERYTHING):
    """Serve ``view`` from the page cache for anonymous GET/HEAD requests.

    ``params`` names the query parameters the view (or its template) reads,
    as names or as a mapping of name to normaliser (see :func:`declared_query`);
    the view never sees any other, signed in or not. ``lists``: the versions
    (``content``, ``headlines``) whose change makes the page stale, besides
    its sidebar.
    """
    params = dict(params) if isinstance(params, dict) else dict.fromkeys(params)
    lists = tuple(kind for kind in EVERYTHING if kind in lists)

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        query = declared_query(request, params)
        if request.user.is_authenticated:
            response = _render_seeing(view, request, query, args, kwargs)
            add_never_cache_headers(response)
            return response
        if not getattr(request, "page_cache_middleware", False):
            return _render_seeing(view, request, query, args, kwargs)
        if not hasattr(request, "page_cache_store"):  # the middleware did not look (a cookie)
            hit = cached_page(request, params=params, lists=lists)
            if hit is not None:
                return hit
        request.sidebar_placeholder = lambda limit: mark_safe(_marker(limit))  # noqa: S308
        return _render_seeing(view, request, query, args, kwargs)

    cached_view.public_page = (params, lists)
    return cached_view


class PageCacheMiddleware:
    """Answer page-cache hits before the middleware a hit does not need; store the misses.

    Placed after security and static files, before sessions, auth, messages
    and CSRF. A request with a session or messages cookie may be signed in
    (or have a message to show): it goes down to the view, which decides.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.page_cache_middleware = True
        if request.method in ("GET", "HEAD") and not self._personal(request):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            declared = getattr(match.func, "public_page", None) if match else None
            if declared is not None:
                hit = cached_page(request, params=declared[0], lists=declared[1])
                if hit is not None:
                    return hit
        response = self.get_response(request)
        if getattr(request, "sidebar_placeholder", None) is None:
            return response
        if hasattr(request, "page_cache_store"):
            return store_page(request, response)
        return _splice_plain(response, versions(hold=True), timezone.now().timestamp())

    @staticmethod
    def _personal(request):
        cookies = request.COOKIES
        return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


def public_urls(module_name, params=None, lists=EVERYTHING):
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
        view = public_page(pattern.callback, params=params.pop(pattern.name, ()), lists=lists)
        wrapped.append(URLPattern(pattern.pattern, view, pattern.default_args, pattern.name))
    if params:
        raise ValueError(f"{module_name}: no URL named {', '.join(sorted(params))}")
    return wrapped
