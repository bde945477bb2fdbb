"""'Take down at': an article leaves every public page by the clock, no cron."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from headlines.models import Headline
from tests.test_site_cache import clock  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


def everywhere(client):
    return {
        "page": client.get("/articles/embargoed/").status_code,
        "home": "Time-limited piece" in client.get("/").content.decode(),
        "feed": "Time-limited piece" in client.get("/feeds/articles/").content.decode(),
        "sitemap": "/articles/embargoed/" in client.get("/sitemap.xml").content.decode(),
        "search": "Time-limited piece" in client.get("/search/", {"q": "limited"}).content.decode(),
    }


def test_an_expired_article_is_gone_from_pages_feeds_and_sitemap_when_its_time_passes(
    client,
    clock,  # noqa: F811
):
    Article.objects.create(
        title="Time-limited piece",
        slug="embargoed",
        body="<p>Body.</p>",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
        expires_at=timezone.now() + timedelta(minutes=1),
    )
    shown = {"page": 200, "home": True, "feed": True, "sitemap": True, "search": True}
    assert everywhere(client) == shown  # and now in the page cache
    clock.advance(timedelta(seconds=30))
    assert everywhere(client) == shown
    clock.advance(timedelta(seconds=31))  # past the time: no write, no cron
    gone = {"page": 404, "home": False, "feed": False, "sitemap": False, "search": False}
    assert everywhere(client) == gone


def test_a_headline_no_longer_links_to_an_expired_article(client, clock):  # noqa: F811
    article = Article.objects.create(
        title="Linked piece",
        slug="linked",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
        expires_at=timezone.now() + timedelta(minutes=5),
    )
    Headline.objects.create(
        title="Wire copy of the piece",
        title_key="wire",
        fingerprint="wire",
        published_at=timezone.now() - timedelta(hours=1),
        article=article,
    )
    assert 'href="/articles/linked/"' in client.get("/headlines/").content.decode()
    clock.advance(timedelta(minutes=6))
    assert 'href="/articles/linked/"' not in client.get("/headlines/").content.decode()


def test_editors_set_the_take_down_time_and_still_preview_the_expired_article(
    client,
    editor,
    clock,  # noqa: F811
):
    article = Article.objects.create(
        title="Desk piece",
        slug="desk-piece",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    client.force_login(editor)
    form = client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert "Take down at" in form
    listing = client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "taken down" in listing
    assert client.get("/articles/desk-piece/").status_code == 200  # the staff preview
    client.logout()
    assert client.get("/articles/desk-piece/").status_code == 404
