"""Query counts are pinned: pages cost the same however many tags and headlines exist."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, RegionTag, Source, TopicTag
from headlines.models import Headline, Story
from headlines.selectors import sidebar_headlines

SLUG = "big-story"


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


def make_headlines(count, *, regions, source=None, start=None, per_story=1):
    start = start or timezone.now() - timedelta(minutes=1)
    stories = Story.objects.bulk_create(Story() for _ in range(0, count, per_story))
    rows = Headline.objects.bulk_create(
        Headline(
            title=f"Headline {n}",
            fingerprint=f"fp-{n}",
            story=stories[n // per_story],
            published_at=start - timedelta(minutes=n),
            source=source,
            summary=f"Summary {n}",
            credit="© Outlet 2017",
        )
        for n in range(count)
    )
    through = Headline.region_tags.through
    through.objects.bulk_create(
        through(content_object=row, tag=tag) for row in rows for tag in regions
    )
    return rows


@pytest.fixture
def big_site(db):
    """Many tags on the article, many headlines with several regions each."""
    source = Source.objects.create(name="Outlet", slug="outlet")
    regions = [RegionTag.objects.create(name=f"Region {n}", slug=f"region-{n}") for n in range(12)]
    topics = [TopicTag.objects.create(name=f"Topic {n}", slug=f"topic-{n}") for n in range(8)]
    for n in range(30):
        story = Article.objects.create(
            title=f"Story {n}",
            slug=SLUG if n == 0 else f"story-{n}",
            body="One.\n\nTwo.",
            status=Article.Status.PUBLISHED,
            published_at=timezone.now() - timedelta(hours=n + 1),
            source=source,
        )
        story.region_tags.add(*regions)
        story.topic_tags.add(*topics)
    make_headlines(300, regions=regions[:3], source=source)
    return source


def warm_site_state(client):
    # The first page after a change asks once for the next scheduled publish
    # time; measured pages are page-cache misses after that.
    client.get("/robots.txt")


def test_the_article_page_takes_at_most_4_queries_on_a_cache_miss(
    client, big_site, django_assert_max_num_queries
):
    warm_site_state(client)
    with django_assert_max_num_queries(4):
        response = client.get(f"/articles/{SLUG}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<li class="sidebar-item') == 20
    assert html.count('href="/regions/region-') >= 12 and html.count('href="/topics/topic-') == 8


def test_the_article_page_costs_one_query_more_on_a_cold_cache_and_none_when_cached(
    client, big_site, django_assert_max_num_queries, django_assert_num_queries
):
    with django_assert_max_num_queries(5):
        client.get(f"/articles/{SLUG}/")
    with django_assert_num_queries(0):
        assert client.get(f"/articles/{SLUG}/").status_code == 200


def test_the_home_page_takes_a_fixed_number_of_queries(
    client, big_site, django_assert_max_num_queries
):
    warm_site_state(client)
    with django_assert_max_num_queries(4):
        html = client.get("/").content.decode()
    # Lead, four secondary, three region and three topic sections of three.
    assert html.count('<article class="article-card') == 1 + 4 + 6 * 3
    assert html.count('<li class="sidebar-item') == 20


def test_the_sidebar_is_two_queries_one_per_story_pinned_first(
    db, settings, django_assert_num_queries
):
    regions = [RegionTag.objects.create(name=f"R{n}", slug=f"r-{n}") for n in range(3)]
    rows = make_headlines(90, regions=regions, per_story=3)
    pinned = rows[-1]
    pinned.pinned = True
    pinned.save()
    settings.SIDEBAR_HEADLINES = 20
    with django_assert_num_queries(2):
        headlines = sidebar_headlines()
        shown = [(h.title, [tag.name for tag in h.region_tags.all()]) for h in headlines]
    assert len(shown) == 20
    assert shown[0][0] == pinned.title
    stories = [h.story_id for h in headlines]
    assert len(stories) == len(set(stories))
    # The rest: the newest copy of each story, newest first.
    assert [h.title for h in headlines[1:4]] == ["Headline 0", "Headline 3", "Headline 6"]
    assert all(len(tags) == 3 for _, tags in shown)
    assert len(sidebar_headlines(limit=5)) == 5


def test_the_archive_never_counts_and_takes_a_fixed_number_of_queries(
    client, big_site, django_assert_max_num_queries
):
    warm_site_state(client)
    urls = [
        "/headlines/",
        "/headlines/?source=outlet&region=region-1&date=" + str(timezone.localdate()),
    ]
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        assert len(queries) <= 8, url
        assert not [q for q in queries if "COUNT(" in q["sql"].upper()], url
        older = html.split('<a rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/headlines/" + older).status_code == 200
        assert len(queries) <= 8
        assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


def test_tag_and_source_pages_take_a_fixed_number_of_queries_and_never_count(client, big_site):
    warm_site_state(client)
    for url in ["/regions/region-1/", "/topics/topic-1/", "/sources/outlet/", "/search/?q=Story"]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) <= 7, (url, len(queries))
        assert not [q for q in queries if "COUNT(" in q["sql"].upper()], url
