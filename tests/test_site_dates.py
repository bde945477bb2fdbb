"""Honest dates: the outlet's date when a capture gives one, else ours, labelled;
"updated" once an editor changed the article after it was published."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article, Source
from newsroom.ingest import dump_ingest
from tests.test_captures import PASTE


@pytest.fixture(autouse=True)
def empty_page_cache(settings):
    settings.TIME_ZONE = "UTC"
    cache.clear()


def byline_of(client, slug):
    html = client.get(f"/articles/{slug}/").content.decode()
    return html.partition('<header class="article-header">')[2].partition("</header>")[0]


def test_a_captures_date_and_byline_are_the_outlets_and_shown_as_such(client, db):
    result = dump_ingest(data=PASTE.encode(), filename="paste.txt", publish=True)
    assert not result.failed, result.error
    article = Article.objects.get()
    assert article.outlet_published_at == datetime(2017, 3, 28, 21, 10, tzinfo=UTC)
    assert not article.outlet_date_only
    header = byline_of(client, article.slug)
    assert "By Jill Serjeant" in header
    assert (
        'Published by the outlet</span> <time datetime="2017-03-28T21:10:00+00:00">'
        "28 Mar 2017</time>" in header
    )
    assert "Published here" not in header


def test_without_the_outlets_date_our_publish_time_is_labelled_ours(client, db):
    source = Source.objects.create(name="Gulf News", slug="gulf-news")
    now = timezone.now()
    Article.objects.create(
        title="Ours", slug="ours", status="published", published_at=now, source=source
    )
    header = byline_of(client, "ours")
    assert (
        f'Published here</span> <time datetime="{timezone.localtime(now).isoformat()}">' in header
    )
    assert "Updated" not in header


def test_a_date_only_outlet_date_prints_no_time(client, db):
    Article.objects.create(
        title="Dated",
        slug="dated",
        status="published",
        published_at=timezone.now(),
        outlet_published_at=datetime(2017, 3, 28, tzinfo=UTC),
        outlet_date_only=True,
    )
    assert '<time datetime="2017-03-28">28 Mar 2017</time>' in byline_of(client, "dated")


def test_an_edit_after_publishing_shows_updated(client, db):
    published = timezone.now() - timedelta(hours=3)
    article = Article.objects.create(
        title="Edited", slug="edited", status="published", published_at=published
    )
    article.edited_at = published + timedelta(hours=2)
    article.save()
    header = byline_of(client, "edited")
    edited = timezone.localtime(article.edited_at).isoformat()
    assert f'Updated</span> <time datetime="{edited}">' in header


def test_the_publish_edit_itself_is_no_update(client, db):
    now = timezone.now()
    Article.objects.create(
        title="Fresh", slug="fresh", status="published", published_at=now, edited_at=now
    )
    assert "Updated" not in byline_of(client, "fresh")


def test_outlet_moment_reads_days_and_naive_times_in_the_site_zone():
    from newsroom.ingest import outlet_moment

    assert outlet_moment(date(2017, 3, 28)) == (datetime(2017, 3, 28, tzinfo=UTC), True)
    assert outlet_moment(datetime(2017, 3, 28, 9)) == (datetime(2017, 3, 28, 9, tzinfo=UTC), False)
