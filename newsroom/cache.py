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
publish or expiry time. Browsers get
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
from email.utils import parsedate_to_datetime
from functools import lru_cache, wraps
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
# Stored pages and sidebars are immutable under their versioned keys, so each
# process keeps the ones it served: a hit then costs no cache round trip at all.
_local = {}
LOCAL_ENTRIES = 256
LOCAL_MAX_BYTES = 256 * 1024


def forget_local():
    """Drop what this process holds (held versions, pages): for tests that clear the cache."""
    _held["at"] = -math.inf
    _local.clear()
    _aliases.clear()


def _local_cache():
    return "dummy" not in settings.CACHES["default"]["BACKEND"].lower()


def _get_many(keys):
    """``cache.get_many`` through this process's copies: one round trip for what it lacks."""
    found = {key: _local[key] for key in keys if key in _local}
    missing = [key for key in keys if key not in found]
    if missing:
        fetched = cache.get_many(missing)
        _remember(fetched)
        found.update(fetched)
    return found


def _set(key, entry, timeout):
    cache.set(key, entry, timeout=timeout)
    _remember({key: entry})


def _entry_bytes(entry):
    if len(entry) == 4:  # a sidebar: (expires_at, html, digest, stored_at)
        return len(entry[1])
    return sum(len(part) for part in entry[3][::2])


def _remember(entries):
    if not entries or not _local_cache():
        return
    # A big page (a sitemap) stays in the shared cache only: the copies stay small.
    entries = {key: e for key, e in entries.items() if _entry_bytes(e) <= LOCAL_MAX_BYTES}
    if len(_local) + len(entries) > LOCAL_ENTRIES:
        _local.clear()  # versions moved on: what is held is mostly unreachable now
    _local.update(entries)


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


def services_changed(sender, **kwargs):
    """Receiver of the services' own signal (bulk writes): by what they wrote."""
    from headlines.models import Headline, Story

    changed(("headlines",) if sender in (Headline, Story) else EVERYTHING)


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
    from headlines.rendering import render_sidebar

    html = render_sidebar(limit).encode()
    keep = _keep_seconds(found["content"], now)
    entry = (now + keep, html, hashlib.md5(html, usedforsecurity=False).hexdigest()[:12], now)
    if keep >= 1:
        _set(_sidebar_key(found, limit), entry, timeout=math.ceil(keep))
    return entry


# -- pages ---------------------------------------------------------------------


def _page_key(request, query, found, lists):
    # request.scheme honours SECURE_PROXY_SSL_HEADER: an http and an https
    # reader never share a page (robots.txt and canonical links name the scheme).
    where = f"{request.scheme}://{request.get_host()}{request.path}?{query.urlencode()}"
    where = hashlib.sha256(where.encode()).hexdigest()
    raw = request.environ.get("newsroom.raw_key")  # set by page_cache_wsgi, before Django
    if raw is not None and _local_cache():
        if len(_aliases) >= ALIASES:
            _aliases.clear()
        _aliases[raw] = (where, lists)
    stamp = ":".join(str(found[kind]) for kind in lists)
    return f"page:{stamp}:{where}"


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


def _pieces(entry, sidebars, now):
    """``(body, headers)`` of a stored page, its sidebars spliced in, ETag from stored hashes."""
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
    max_age = max(0, math.floor(min(expires_at - now, browser_seconds())))
    body = b"".join(body)
    return body, [
        *headers,
        ("Content-Length", str(len(body))),
        ("ETag", f'"{"".join(etag)}"'),
        ("Last-Modified", _http_date(math.floor(modified))),
        ("Cache-Control", f"public, max-age={max_age}"),
    ]


@lru_cache(maxsize=64)
def _http_date(seconds):
    return http_date(seconds)


def _assemble(request, entry, sidebars, now):
    """The stored page as a response (or a 304 when the browser has it)."""
    body, headers = _pieces(entry, sidebars, now)
    response = HttpResponse(body, status=entry[1], headers=headers)
    modified = parsedate_to_datetime(response["Last-Modified"]).timestamp()
    return get_conditional_response(
        request, etag=response["ETag"], last_modified=int(modified), response=response
    )


def _raw_key(environ):
    """Everything of a request that its page key is made from, unparsed (see page_cache_wsgi)."""
    get = environ.get
    return (
        get("wsgi.url_scheme"),
        get("HTTP_X_FORWARDED_PROTO"),
        get("HTTP_HOST"),
        get("HTTP_X_FORWARDED_HOST"),
        get("SERVER_NAME"),
        get("SERVER_PORT"),
        get("SCRIPT_NAME"),
        get("PATH_INFO"),
        get("QUERY_STRING"),
    )


# A raw request seen by Django -> (where, lists) of its page: the WSGI fast path
# below answers the same raw request again without parsing it.
_aliases = {}
ALIASES = 4096


def page_cache_wsgi(application):
    """Answer hits this process holds before Django builds a request at all.

    Only a plain GET that Django has already keyed (same scheme, host, path and
    query string, byte for byte), with no session or messages cookie and no
    conditional header; everything else goes to ``application``, where
    :class:`PageCacheMiddleware` does the full work. The headers are the ones
    stored with the page, so a hit looks exactly like the page it copies.
    """
    session_cookie = None

    def fast(environ, start_response):
        nonlocal session_cookie
        raw = environ["newsroom.raw_key"] = _raw_key(environ)  # Django rewrites some of these
        alias = _aliases.get(raw) if environ.get("REQUEST_METHOD") == "GET" else None
        if alias is not None and "HTTP_IF_NONE_MATCH" not in environ:
            if session_cookie is None:
                session_cookie = f"{settings.SESSION_COOKIE_NAME}="
            cookies = environ.get("HTTP_COOKIE", "")
            if session_cookie not in cookies and "messages=" not in cookies:
                if "HTTP_IF_MODIFIED_SINCE" not in environ:
                    found = versions(hold=True)
                    stamp = ":".join(str(found[kind]) for kind in alias[1])
                    entry = _local.get(f"page:{stamp}:{alias[0]}")
                    now = timezone.now().timestamp()
                    if entry is not None and now < entry[0]:
                        sidebars = {}
                        for limit in entry[3][1::2]:
                            side = _local.get(_sidebar_key(found, limit))
                            if side is None or now >= side[0]:
                                break
                            sidebars[limit] = side
                        else:
                            body, headers = _pieces(entry, sidebars, now)
                            start_response("200 OK", headers)
                            return [body]
        return application(environ, start_response)

    return fast


def _sidebars(found, parts, now, fetched=None):
    """The sidebar entries ``parts`` needs, from ``fetched``, the cache, or rendered once."""
    fetched = dict(fetched or {})
    limits = {part for index, part in enumerate(parts) if index % 2}
    wanted = [_sidebar_key(found, limit) for limit in limits]
    wanted = [key for key in wanted if key not in fetched]
    if wanted:
        fetched.update(_get_many(wanted))
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
    fetched = _get_many([key, usual])  # at most one round trip for the usual page
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
        _set(key, entry, timeout=math.ceil(keep))
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
        if not _local_cache():  # DummyCache: nothing is kept, so render as if uncached
            return self.get_response(request)
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
