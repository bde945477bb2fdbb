"""The front page as a news site: a lead an editor can pin, secondary stories,
sections by region and topic, the latest headlines; and the sidebar's times."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article, RegionTag, Source, TopicTag
from articles.services import article_set_front_lead
from headlines.models import Headline, Story


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


def live(n, **fields):
    fields.setdefault("published_at", timezone.now() - timedelta(hours=n + 1))
    return Article.objects.create(
        title=f"Story {n}", slug=f"story-{n}", status=Article.Status.PUBLISHED, **fields
    )


@pytest.fixture
def front(db):
    iraq = RegionTag.objects.get_or_create(slug="iraq", defaults={"name": "Iraq"})[0]
    gulf = RegionTag.objects.get_or_create(slug="gulf", defaults={"name": "Gulf"})[0]
    energy = TopicTag.objects.get_or_create(slug="energy", defaults={"name": "Energy"})[0]
    articles = [live(n) for n in range(14)]
    for article in articles[5:9]:
        article.region_tags.add(iraq)
    for article in articles[9:11]:
        article.region_tags.add(gulf)
    for article in articles[11:]:
        article.topic_tags.add(energy)
    story = Story.objects.create(title="Told twice", outlets=2)
    Headline.objects.create(
        title="Told twice", fingerprint="fp", story=story, published_at=timezone.now()
    )
    return articles


def main_of(client):
    html = client.get("/").content.decode()
    return html.partition("<main")[2].partition("</main>")[0], html


def titles(html):
    return re.findall(r'class="article-card-title" dir="auto"><a href="[^"]+">([^<]+)<', html)


def test_the_front_page_has_a_lead_secondary_stories_sections_and_the_latest_headlines(
    client, front, django_assert_max_num_queries
):
    client.get("/robots.txt")
    with django_assert_max_num_queries(4):
        main, html = main_of(client)
    lead = main.partition('class="front-lead"')[2].partition("</section>")[0]
    assert titles(lead) == ["Story 0"]
    assert '<h2 class="article-card-title"' in lead
    secondary = main.partition('class="front-secondary"')[2].partition("</section>")[0]
    assert titles(secondary) == ["Story 1", "Story 2", "Story 3", "Story 4"]
    sections = re.findall(
        r'<h2 id="section-(\w+)-([\w-]+)" class="section-title"><a href="([^"]+)">', main
    )
    assert sections == [
        ("region", "iraq", "/regions/iraq/"),
        ("region", "gulf", "/regions/gulf/"),
        ("topic", "energy", "/topics/energy/"),
    ]
    iraq = main.partition('id="section-region-iraq"')[2].partition("</section>")[0]
    assert titles(iraq) == ["Story 5", "Story 6", "Story 7"]  # a few, newest first
    # Then the latest headlines, the sidebar beside (or, on a phone, under) it all.
    aside = html.partition('<aside class="sidebar"')[2]
    assert "Latest headlines" in aside and "Told twice" in aside
    assert '<a href="/headlines/">More headlines</a>' in aside


def test_an_editor_pins_the_lead_and_unpinning_restores_the_newest(client, front):
    article_set_front_lead(article=front[12])
    main, _ = main_of(client)
    lead = main.partition('class="front-lead"')[2].partition("</section>")[0]
    assert titles(lead) == ["Story 12"]
    assert titles(main).count("Story 12") == 1  # not also in its section
    article_set_front_lead(article=front[3])  # one lead at a time
    assert list(Article.objects.filter(front_lead=True)) == [front[3]]
    article_set_front_lead(article=front[3], lead=False)
    main, _ = main_of(client)
    assert titles(main.partition('class="front-lead"')[2].partition("</section>")[0]) == ["Story 0"]


def test_a_pinned_draft_never_leads(client, front):
    article_set_front_lead(article=front[4])
    Article.objects.filter(pk=front[4].pk).update(status=Article.Status.DRAFT)
    main, _ = main_of(client)
    assert "Story 4" not in main


def test_the_lead_shows_its_image_large_and_first(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lead = live(0, lead_image="lead-images/boat.jpg", lead_image_width=1600)
    lead.lead_image_height = 900
    lead.save()
    main, _ = main_of(client)
    assert '<img src="/media/lead-images/boat.jpg" alt=""' in main
    assert 'loading="lazy"' not in main.partition("</section>")[0]


# The sidebar's times: today, this year, before (the clock moved).


@pytest.mark.parametrize(
    ("now", "shown"),
    [
        (datetime(2017, 3, 28, 23, 0, tzinfo=UTC), "21:10"),
        (datetime(2017, 11, 2, 9, 0, tzinfo=UTC), "28 Mar, 21:10"),
        (datetime(2019, 1, 5, 9, 0, tzinfo=UTC), "28 Mar 2017"),
    ],
    ids=["today", "this year", "an older year"],
)
def test_sidebar_times_read_for_today_this_year_and_before(
    client, db, settings, monkeypatch, now, shown
):
    settings.TIME_ZONE = "UTC"
    monkeypatch.setattr(timezone, "now", lambda: now)
    story = Story.objects.create(title="Moment")
    Headline.objects.create(
        title="Moment",
        fingerprint="fp-m",
        story=story,
        published_at=datetime(2017, 3, 28, 21, 10, tzinfo=UTC),
        source=Source.objects.create(name="Gulf News LLC", short_name="Gulf News", slug="gn"),
        credit="© Gulf News LLC 2017. All rights reserved.",
        pinned=True,
    )
    html = client.get("/").content.decode()
    aside = html.partition('<aside class="sidebar"')[2]
    assert f'<time datetime="2017-03-28T21:10:00+00:00">{shown}</time>' in aside
    assert f'<a href="/stories/{story.pk}/">Moment</a>' in aside
    assert ">Gulf News</a>" in aside and "All rights reserved" not in aside
    assert "Pinned" not in aside
