"""The page cache: fast for readers, never stale after a change, never past a publish time."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article, Source
from headlines.models import Headline
from newsroom.cache import site_version
from newsroom.ingest import dump_ingest


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


@pytest.fixture
def story(db):
    return Article.objects.create(
        title="First title",
        slug="story",
        body="Body.",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


@pytest.fixture
def clock(monkeypatch):
    """Move ``timezone.now()`` (what pages and the cache judge time by)."""
    real_now = timezone.now

    class Clock:
        offset = timedelta()

        def advance(self, delta):
            self.offset += delta

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + clock.offset)
    return clock


def test_readers_get_a_cached_page_with_browser_caching_headers(
    client, story, django_assert_num_queries
):
    first = client.get("/articles/story/")
    assert "public" in first["Cache-Control"] and "max-age=60" in first["Cache-Control"]
    assert first["ETag"] and first["Last-Modified"]
    assert "Cookie" in first["Vary"]
    with django_assert_num_queries(0):
        again = client.get("/articles/story/")
    assert again.content == first.content and again["ETag"] == first["ETag"]


def test_a_matching_etag_or_date_gets_304(client, story):
    first = client.get("/articles/story/")
    assert client.get("/articles/story/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    since = client.get("/articles/story/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


def test_a_published_change_is_visible_at_once(client, story):
    assert "First title" in client.get("/articles/story/").content.decode()
    assert "First title" in client.get("/").content.decode()
    story.title = "Second title"
    story.save()
    assert "Second title" in client.get("/articles/story/").content.decode()
    assert "Second title" in client.get("/").content.decode()


@pytest.mark.parametrize("change", ["hide headline", "rename source", "delete headline", "tag"])
def test_any_change_a_page_shows_bumps_the_version(client, story, change):
    source = Source.objects.create(name="Outlet", slug="outlet")
    headline = Headline.objects.create(
        title="Seen", fingerprint="fp", published_at=timezone.now(), source=source
    )
    before = site_version()
    if change == "hide headline":
        headline.visible = False
        headline.save()
    elif change == "rename source":
        source.name = "Renamed"
        source.save()
    elif change == "delete headline":
        headline.delete()
    else:
        story.region_tags.add("Gulf")
    assert site_version() > before


def test_an_import_refreshes_the_sidebar_at_once(client, db, sample_bytes):
    assert "Iranian editor" not in client.get("/").content.decode()
    dump_ingest(data=sample_bytes, filename="000.txt", publish=True)
    html = client.get("/").content.decode()
    assert "Iranian editor" in html and "The coming Iran-US confrontation" in html


def test_a_scheduled_article_appears_on_time_without_a_write(client, story, clock):
    Article.objects.create(
        title="Scheduled piece",
        slug="scheduled",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() + timedelta(seconds=30),
    )
    home = client.get("/")
    assert "Scheduled piece" not in home.content.decode()
    # Browsers are not told to keep the page past the publish time either.
    max_age = int(home["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert max_age <= 30
    assert client.get("/articles/scheduled/").status_code == 404

    clock.advance(timedelta(seconds=20))
    assert "Scheduled piece" not in client.get("/").content.decode()

    clock.advance(timedelta(seconds=11))
    assert "Scheduled piece" in client.get("/").content.decode()
    assert client.get("/articles/scheduled/").status_code == 200


def test_pages_expire_even_with_nothing_scheduled(client, story, clock, settings):
    settings.PAGE_CACHE_SECONDS = 120
    client.get("/")
    Article.objects.filter(pk=story.pk).update(title="Changed behind the cache's back")
    assert "First title" in client.get("/").content.decode()
    clock.advance(timedelta(seconds=121))
    assert "Changed behind the cache" in client.get("/").content.decode()


def test_signed_in_users_are_never_served_or_stored_in_the_cache(client, story, editor):
    anonymous = client.get("/articles/story/").content
    client.force_login(editor)
    response = client.get("/articles/story/")
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    Article.objects.filter(pk=story.pk).update(title="Quietly changed")
    assert "Quietly changed" in client.get("/articles/story/").content.decode()
    client.logout()
    assert client.get("/articles/story/").content == anonymous


def test_a_lost_version_never_brings_old_pages_back(client, story):
    client.get("/")
    old = site_version()
    cache.delete("site:version")
    assert site_version() > old


def everywhere(client):
    return {
        "page": client.get("/articles/scheduled/").status_code,
        "home": "Scheduled piece" in client.get("/").content.decode(),
        "feed": "Scheduled piece" in client.get("/feeds/articles/").content.decode(),
        "sitemap": "/articles/scheduled/" in client.get("/sitemap.xml").content.decode(),
    }


def test_a_piece_scheduled_a_minute_ahead_appears_after_the_minute(client, story, clock):
    Article.objects.create(
        title="Scheduled piece",
        slug="scheduled",
        body="Body.",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() + timedelta(minutes=1),
    )
    assert everywhere(client) == {"page": 404, "home": False, "feed": False, "sitemap": False}
    clock.advance(timedelta(seconds=61))
    assert everywhere(client) == {"page": 200, "home": True, "feed": True, "sitemap": True}


def test_an_import_leaves_article_pages_cached_and_renders_the_sidebar_once(
    client, story, sample_bytes, django_assert_num_queries
):
    other = Article.objects.create(
        title="Other piece",
        slug="other",
        body="Body.",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=2),
    )
    for path in ("/articles/story/", f"/articles/{other.slug}/"):
        client.get(path)
    dump_ingest(data=sample_bytes, filename="000.txt")  # headlines and a draft article
    # The first page after the import renders the sidebar (its 2 queries), not the article...
    with django_assert_num_queries(2):
        first = client.get("/articles/story/").content.decode()
    # ... and every other page shares that sidebar.
    with django_assert_num_queries(0):
        second = client.get(f"/articles/{other.slug}/").content.decode()
    for html in (first, second):
        assert "Iranian editor" in html and "<!--sidebar" not in html
    assert "First title" in first and "Other piece" in second


def test_a_cache_hit_skips_sessions_and_sets_no_cookie(client, story, django_assert_num_queries):
    first = client.get("/articles/story/")
    with django_assert_num_queries(0):
        hit = client.get("/articles/story/")
    assert hit.content == first.content and not hit.cookies
    assert hit["ETag"] == first["ETag"] and "Cookie" in hit["Vary"]
    assert hit["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in hit


def wsgi_get(path, **headers):
    import io
    import sys

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from newsroom.wsgi import application

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        **headers,
    }
    started = []
    for signal in (request_started, request_finished):  # as the test client does
        signal.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, lambda status, head, exc=None: started.append(head)))
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    return body, dict(started[0])


def test_the_wsgi_fast_path_copies_the_page_django_served(story, django_assert_num_queries):
    first, first_headers = wsgi_get("/articles/story/")
    with django_assert_num_queries(0):
        again, headers = wsgi_get("/articles/story/")
    assert again == first and headers == first_headers
    assert "X-Frame-Options" in headers and headers["ETag"]
    assert "max-age" in headers["Cache-Control"]
    # A possible editor goes through Django, which never serves them a cached page.
    signed, _ = wsgi_get("/articles/story/", HTTP_COOKIE="sessionid=whatever")
    assert b"First title" in signed
    story.title = "Second title"
    story.save()
    assert b"Second title" in wsgi_get("/articles/story/")[0]
