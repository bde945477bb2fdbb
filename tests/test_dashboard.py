"""The desk's dashboard: what to do next, judged against the data's own dates."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Source
from articles.services import sources_recount
from headlines.models import Headline
from newsroom.ingest import dump_ingest, dump_preview
from tests.conftest import SAMPLE
from tests.test_admin_desk import HEADLINE_ONLY

CAPTURED = date(2017, 3, 29)  # the sample's headlines are of 28 March 2017
# The admin's 5 (session, user, two for permissions, recent actions), the
# dashboard's 9 and one more for each of three queues that has rows to list,
# the running-batches panel's 1 (dashboard_extra.html) and the review queues' 2.
INDEX_QUERIES = 21  # the headline span as MIN and MAX in two queries: each read from the index


def aware(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


def section(page, heading):
    """The HTML of one dashboard section, from its heading to the next section."""
    start = page.index(f">{heading}</h2>")
    return page[start : page.find("</section>", start)]


@pytest.mark.django_db
def test_the_dashboard_says_what_to_do_next(desk):
    dump_ingest(data=SAMPLE.read_bytes(), filename="000.txt", captured_at=CAPTURED)
    dump_ingest(data="Plain prose, not a dump.\n", filename="broken.txt")
    dump_preview(data=HEADLINE_ONLY, filename="waiting.txt", captured_at=CAPTURED)
    Article.objects.create(
        title="Budget day",
        slug="budget",
        status="published",
        published_at=timezone.now() + timedelta(days=2),
    )
    edited = Headline.objects.order_by("pk").first()
    Headline.objects.filter(pk=edited.pk).update(edited_at=timezone.now())

    page = desk.get(reverse("admin:index")).content.decode()

    assert "<title>What to do next | Newsroom desk</title>" in page
    assert 'id="site-name"><a href="/admin/">Newsroom desk</a>' in page
    # The ingest button comes first in the content, before the queues and the app list.
    ingest = page.index(
        f'class="button dashboard-ingest" href="{reverse("admin:articles_dump_ingest")}"'
    )
    assert ingest < page.index(">To do</h2>") < page.index('class="app-articles')
    todo = section(page, "To do")
    failed = todo[todo.index(">Failed dumps<") : todo.index(">Parsed, not imported<")]
    assert "broken.txt" in failed and "line 1" in failed
    assert 'href="/admin/articles/dump/?status=failed">Failed dumps<' in todo
    waiting = todo[todo.index(">Parsed, not imported<") : todo.index(">Drafts<")]
    assert "waiting.txt" in waiting
    assert 'href="/admin/articles/dump/?status=parsed">Parsed, not imported<' in todo
    drafts = todo[todo.index(">Drafts<") : todo.index(">Scheduled<")]
    assert "The coming Iran-US confrontation in Iraq" in drafts
    scheduled = todo[todo.index(">Scheduled<") : todo.index(">Recently edited<")]
    assert "Budget day" in scheduled and "for <time" in scheduled
    assert edited.title in todo[todo.index(">Recently edited<") :]
    # Other desk panels (running batches) come in once, through the hook.
    assert page.count("Batches and inbox") == 1
    # Each count is the queue's size.
    counts = re.findall(r'class="queue-count">(\d+)<', todo)
    assert counts == ["1", "1", "1", "1"]


@pytest.mark.django_db
def test_the_queue_links_open_lists_of_just_that_queue(desk):
    dump_ingest(data="Plain prose, not a dump.\n", filename="broken.txt")
    dump_ingest(data=SAMPLE.read_bytes(), filename="000.txt", captured_at=CAPTURED)
    page = desk.get(reverse("admin:index")).content.decode()
    link = re.search(r'href="([^"]+)">Failed dumps<', page)[1]
    listed = desk.get(link.replace("&amp;", "&")).content.decode()
    assert "broken.txt" in listed and "000.txt" not in listed
    scheduled = re.search(r'href="([^"]+)">Scheduled<', page)[1].replace("&amp;", "&")
    assert desk.get(scheduled).status_code == 200
    assert "?e=1" not in desk.get(scheduled).get("Location", "")


@pytest.mark.django_db
def test_the_chart_covers_the_period_that_has_data_with_labelled_axes(desk):
    # Dumps of another year: the chart is theirs, not the last 30 wall-clock days.
    dump_ingest(data=SAMPLE.read_bytes(), filename="000.txt", captured_at=CAPTURED)
    chart = section(desk.get(reverse("admin:index")).content.decode(), "Headlines per day")
    assert "to 28 Mar 2017" in chart
    bars = re.findall(r'<rect class="chart-bar"[^>]*height="([\d.]+)"', chart)
    assert len(bars) == 7  # one day of data, shown in a week's frame ending on it
    assert sum(float(height) > 0 for height in bars) == 1  # the one day
    assert ">Publish date (2017)</text>" in chart and ">Headlines</text>" in chart
    assert ">22 Mar</text>" in chart and ">28 Mar</text>" in chart  # first and last day
    assert re.findall(r'text-anchor="end" dominant-baseline="middle">(\d+)<', chart) == [
        "0",
        "10",
        "20",  # 20 headlines on the day: the axis top is 20
    ]


@pytest.mark.django_db
def test_the_chart_spans_at_most_thirty_days_ending_on_the_newest(desk):
    start = aware(2017, 1, 1, 12)
    Headline.objects.bulk_create(
        Headline(
            title=f"Day {n}",
            title_key=f"day {n}",
            fingerprint=f"f{n}",
            published_at=start + timedelta(days=n),
        )
        for n in range(0, 60, 2)
    )
    chart = section(desk.get(reverse("admin:index")).content.decode(), "Headlines per day")
    assert "from 30 Jan 2017 to 28 Feb 2017" in chart
    assert len(re.findall(r'<rect class="chart-bar"', chart)) == 30


@pytest.mark.django_db
def test_stale_sources_are_judged_against_the_newest_dump_not_the_clock(desk):
    dump_ingest(data=SAMPLE.read_bytes(), filename="000.txt", captured_at=CAPTURED)
    quiet = Source.objects.create(name="Quiet Wire", slug="quiet-wire")
    Headline.objects.create(
        title="An old one",
        title_key="an old one",
        fingerprint="old",
        published_at=aware(2017, 3, 10, 9),
        source=quiet,
    )
    sources_recount(source_ids=[quiet.pk])  # as ingest and the desk's services do
    stale = section(desk.get(reverse("admin:index")).content.decode(), "Stale sources")
    assert "newest dump's date, 29 Mar 2017" in stale
    assert "Quiet Wire" in stale and "last seen 10 Mar 2017" in stale
    # Sources of the newest dump are not stale, though 2017 is long ago.
    for source in Source.objects.exclude(pk=quiet.pk):
        assert source.name not in stale


@pytest.mark.django_db
def test_an_empty_desk_still_shows_the_way_in(desk):
    page = desk.get(reverse("admin:index")).content.decode()
    assert "Ingest dumps</a>" in page
    assert "No headlines yet" in page and "No dump imported yet" in page
    assert "None: every dump was read." in page


@pytest.mark.django_db
def test_the_dashboard_takes_a_fixed_number_of_queries(desk, django_assert_max_num_queries):
    dump_ingest(data=SAMPLE.read_bytes(), filename="000.txt", captured_at=CAPTURED)
    desk.get(reverse("admin:index"))  # the session and permissions cached as for any page
    with django_assert_max_num_queries(INDEX_QUERIES):
        desk.get(reverse("admin:index"))
    soon = timezone.now() + timedelta(days=1)
    for n in range(12):
        dump_ingest(data=f"Prose {n}, not a dump.\n", filename=f"bad{n}.txt")
        dump_preview(data=HEADLINE_ONLY.replace("Gulf", f"Gulf {n}"), filename=f"w{n}.txt")
        Article.objects.create(title=f"Draft {n}", slug=f"draft-{n}", edited_at=timezone.now())
        Article.objects.create(
            title=f"Soon {n}", slug=f"soon-{n}", status="published", published_at=soon
        )
    with django_assert_max_num_queries(INDEX_QUERIES):
        page = desk.get(reverse("admin:index")).content.decode()
    assert ">13</span>" in page  # 13 drafts counted, 5 listed
