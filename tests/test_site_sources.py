"""Source pages: an outlet's articles and headlines; a merged outlet's old URL redirects."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article, Source
from articles.services import source_merge
from headlines.models import Headline


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


@pytest.fixture
def outlets(db):
    kept = Source.objects.create(name="Gulf News", slug="gulf-news")
    merged = Source.objects.create(name="Gulf News LLC", slug="gulf-news-llc")
    hour_ago = timezone.now() - timedelta(hours=1)
    Article.objects.create(
        title="Our piece on ports",
        slug="ports",
        status=Article.Status.PUBLISHED,
        published_at=hour_ago,
        source=merged,
    )
    Article.objects.create(title="A draft", slug="draft", source=merged)
    Headline.objects.create(
        title="Their port story", fingerprint="fp", published_at=hour_ago, source=merged
    )
    return kept, merged


def test_a_source_page_lists_its_live_articles_and_its_headlines(client, outlets):
    _, merged = outlets
    main = client.get("/sources/gulf-news-llc/").content.decode().partition("<main")[2]
    articles = main.partition('id="articles-title"')[2].partition("</section>")[0]
    headlines = main.partition('id="headlines-title"')[2].partition("</section>")[0]
    assert 'href="/articles/ports/">Our piece on ports</a>' in articles
    assert "A draft" not in main
    assert "Their port story" in headlines


def test_a_merged_sources_old_url_redirects_permanently_to_the_kept_one(client, outlets):
    kept, merged = outlets
    source_merge(keep=kept, merge=merged)
    response = client.get("/sources/gulf-news-llc/")
    assert response.status_code == 301
    assert response["Location"] == "/sources/gulf-news/"
    page = client.get("/sources/gulf-news/").content.decode()
    assert "Our piece on ports" in page and "Their port story" in page
    # Merged again, the chain does not grow: the oldest slug goes straight to the last one.
    last = Source.objects.create(name="GN", slug="gn")
    source_merge(keep=last, merge=kept)
    assert client.get("/sources/gulf-news-llc/")["Location"] == "/sources/gn/"
    assert client.get("/sources/gulf-news/")["Location"] == "/sources/gn/"
    assert client.get("/sources/never-was/").status_code == 404
