"""Feeds, the sitemap and robots.txt: valid XML, only what readers may see."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article, RegionTag
from headlines.models import Headline

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


@pytest.fixture
def site(db):
    gulf = RegionTag.objects.create(name="Gulf", slug="gulf")
    now = timezone.now()
    stories = {
        "live": (Article.Status.PUBLISHED, now - timedelta(hours=1)),
        "draft": (Article.Status.DRAFT, now - timedelta(hours=1)),
        "scheduled": (Article.Status.PUBLISHED, now + timedelta(days=1)),
    }
    for slug, (status, published_at) in stories.items():
        story = Article.objects.create(
            title=f"The {slug} story",
            slug=slug,
            dek=f"Dek of the {slug} story",
            status=status,
            published_at=published_at,
        )
        story.region_tags.add(gulf)
    for title, visible in (("Shown headline", True), ("Hidden headline", False)):
        headline = Headline.objects.create(
            title=title,
            fingerprint=title,
            published_at=now - timedelta(minutes=5),
            summary="A summary",
            summary_truncated=True,
            visible=visible,
        )
        headline.region_tags.add(gulf)
    return gulf


def items_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")  # so that browsers apply its XSL
    channel = ET.fromstring(response.content).find("channel")
    return {item.findtext("title"): item for item in channel.findall("item")}


def test_the_articles_feed_lists_only_live_articles(client, site):
    items = items_of(client, "/feeds/articles/")
    assert set(items) == {"The live story"}
    item = items["The live story"]
    assert item.findtext("link") == "http://testserver/articles/live/"
    assert item.findtext("description") == "Dek of the live story"
    assert item.findtext("category") == "Gulf"


def test_the_headlines_feed_lists_only_visible_headlines(client, site):
    items = items_of(client, "/feeds/headlines/")
    assert set(items) == {"Shown headline"}
    assert items["Shown headline"].findtext("description") == "A summary…"


def test_a_region_feed_lists_its_live_articles_and_headlines(client, site):
    items = items_of(client, "/feeds/regions/gulf/")
    assert set(items) == {"The live story", "Shown headline"}
    guids = {item.findtext("guid") for item in items.values()}
    assert len(guids) == 2


def test_feeds_of_unknown_tags_are_404(client, site):
    assert client.get("/feeds/regions/atlantis/").status_code == 404
    assert client.get("/feeds/topics/nothing/").status_code == 404


def test_the_sitemap_lists_live_articles_and_tag_pages(client, site):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    locations = {url.findtext(f"{SITEMAP_NS}loc") for url in root.iter(f"{SITEMAP_NS}url")}
    assert "http://testserver/articles/live/" in locations
    assert "http://testserver/articles/draft/" not in locations
    assert "http://testserver/articles/scheduled/" not in locations
    assert "http://testserver/regions/gulf/" in locations
    assert {"http://testserver/", "http://testserver/headlines/"} <= locations


def test_robots_txt_points_at_the_sitemap(client, db):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Disallow: /admin/" in text
