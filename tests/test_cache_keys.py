"""Page cache keys: the parameters a page reads, its scheme and host, nothing else.

A query parameter no page reads (``?r=<random>``, tracking tags) must not
make a new render, and must not reach the page either, since that page is then
served to everyone. A parameter a page does read still gives its own page.
"""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article, RegionTag, Source
from headlines.models import Headline
from newsroom.cache import public_urls
from newsroom.urls import HEADLINES_PARAMS

HTTPS_PROXY = ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


def headline(title, **fields):
    fields.setdefault("published_at", timezone.now() - timedelta(hours=1))
    fields.setdefault("fingerprint", f"fp-{title}-{fields['published_at']}")
    return Headline.objects.create(title=title, **fields)


def article(title, **fields):
    return Article.objects.create(
        title=title,
        slug=re.sub(r"\W+", "-", title.lower()).strip("-"),
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
        **fields,
    )


def headline_ids(html):
    return [int(pk) for pk in re.findall(r'id="headline-(\d+)"', html)]


def older_link(html):
    found = re.search(r'<a rel="next" href="([^"]+)"', html)
    return found[1].replace("&amp;", "&") if found else None


@pytest.fixture
def stories(db):
    return [article(f"Story {n}") for n in range(3)]


def test_an_unread_parameter_serves_the_cached_sitemap(client, stories, django_assert_num_queries):
    first = client.get("/sitemap.xml?r=1")
    assert first.status_code == 200
    assert "/articles/story-0/" in first.content.decode()
    with django_assert_num_queries(0):
        second = client.get("/sitemap.xml?r=2")
    with django_assert_num_queries(0):
        plain = client.get("/sitemap.xml")
    assert second.content == plain.content == first.content


def test_the_sitemap_page_number_is_read_in_one_spelling(
    client, stories, django_assert_num_queries
):
    page_one = client.get("/sitemap.xml").content
    # 1, 01, +1 and " 1" are the page with no p: no new render of a big sitemap.
    with django_assert_num_queries(0):
        for spelling in ("1", "01", "%2B1", "%201", "0001&r=3"):
            assert client.get(f"/sitemap.xml?p={spelling}").content == page_one
    # Only one page exists: page 99 is not the cached page 1, nor is a word.
    assert client.get("/sitemap.xml?p=99").status_code == 404
    assert client.get("/sitemap.xml?p=099").status_code == 404
    assert client.get("/sitemap.xml?p=one").status_code == 404


def test_archive_filters_give_their_own_pages_and_junk_is_ignored(
    client, db, django_assert_num_queries
):
    nisr = Source.objects.create(name="Al Nisr", slug="al-nisr")
    gulf = RegionTag.objects.create(name="Gulf", slug="gulf")
    coach = headline("Coach resigns", source=nisr)
    coach.region_tags.add(gulf)
    headline("Elsewhere")

    everything = client.get("/headlines/").content.decode()
    filtered = client.get("/headlines/?source=al-nisr&region=gulf").content.decode()
    assert "Elsewhere" in everything and "Elsewhere" not in filtered
    assert "Coach resigns" in filtered

    # Other order, an unread parameter, a repeated one: the same cached page.
    with django_assert_num_queries(0):
        same = client.get("/headlines/?region=gulf&utm_source=x&source=nobody&source=al-nisr")
    assert same.content.decode() == filtered


def test_a_repeated_parameter_is_read_as_the_view_reads_it(client, db):
    article("Oil deal")
    article("Coach resigns")
    assert "Coach resigns" in client.get("/search/?q=coach").content.decode()
    # request.GET.get reads the last value; the key must agree with it.
    html = client.get("/search/?q=coach&q=oil").content.decode()
    assert "Oil deal" in html and "Coach resigns" not in html
    html = client.get("/search/?q=oil&q=coach").content.decode()
    assert "Coach resigns" in html and "Oil deal" not in html


def test_archive_cursors_page_on_and_page_links_drop_unread_parameters(client, db):
    now = timezone.now()
    for n in range(60):
        headline(f"Item {n}", published_at=now - timedelta(minutes=n))

    first = client.get("/headlines/?junk=%3Cplanted%3E").content.decode()
    assert "planted" not in first  # not in the pager, not in the canonical or social links
    older = older_link(first)
    assert older and "junk" not in older
    second = client.get("/headlines/" + older + "&junk=1").content.decode()
    assert len(headline_ids(first)) == 50 and len(headline_ids(second)) == 10
    assert not set(headline_ids(first)) & set(headline_ids(second))


def test_a_tag_page_reads_its_article_cursor(client, db):
    gulf = RegionTag.objects.create(name="Gulf", slug="gulf")
    for n in range(25):
        story = article(f"Gulf story {n}")
        story.published_at = timezone.now() - timedelta(hours=1, minutes=n)
        story.save()
        story.region_tags.add(gulf)
    first = client.get("/regions/gulf/").content.decode()
    cursor = re.search(r'href="\?(articles_before=[^"]+)"', first)
    assert cursor, "no older-articles link on the region page"
    second = client.get("/regions/gulf/?" + cursor[1].replace("&amp;", "&")).content.decode()
    assert "Gulf story 24" in second and "Gulf story 24" not in first


def test_a_planted_parameter_never_reaches_the_cached_home_page(client, stories):
    planted = client.get("/?utm_campaign=PLANTED").content.decode()
    assert "PLANTED" not in planted
    assert client.get("/").content.decode() == planted


def test_declaring_parameters_for_a_url_that_does_not_exist_is_an_error():
    with pytest.raises(ValueError, match="no URL named archive"):
        public_urls("headlines.urls", params={**HEADLINES_PARAMS, "archive": ("page",)})


def robots_sitemap_line(response):
    assert response.status_code == 200
    return re.search(r"^Sitemap: (\S+)$", response.content.decode(), re.MULTILINE)[1]


def test_without_a_proxy_a_forwarded_proto_header_is_ignored(client, db, settings):
    settings.SECURE_PROXY_SSL_HEADER = None  # the default: DJANGO_BEHIND_PROXY off
    forged = client.get("/robots.txt", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
    assert robots_sitemap_line(forged) == "http://localhost/sitemap.xml"
    assert (
        robots_sitemap_line(client.get("/robots.txt", HTTP_HOST="localhost"))
        == "http://localhost/sitemap.xml"
    )


def test_behind_a_proxy_http_and_https_pages_are_cached_apart(
    client, db, settings, django_assert_num_queries
):
    settings.SECURE_PROXY_SSL_HEADER = HTTPS_PROXY
    https = client.get("/robots.txt", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
    assert robots_sitemap_line(https) == "https://localhost/sitemap.xml"
    http = client.get("/robots.txt", HTTP_HOST="localhost")
    assert robots_sitemap_line(http) == "http://localhost/sitemap.xml"
    with django_assert_num_queries(0):  # both were stored, each under its own key
        again_https = client.get(
            "/robots.txt", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https"
        )
        again_http = client.get("/robots.txt", HTTP_HOST="localhost")
    assert robots_sitemap_line(again_https) == "https://localhost/sitemap.xml"
    assert robots_sitemap_line(again_http) == "http://localhost/sitemap.xml"


def test_each_host_gets_its_own_page(client, db):
    assert robots_sitemap_line(client.get("/robots.txt")) == "http://testserver/sitemap.xml"
    other = client.get("/robots.txt", HTTP_HOST="localhost")
    assert robots_sitemap_line(other) == "http://localhost/sitemap.xml"
