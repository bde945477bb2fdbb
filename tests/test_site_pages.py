"""The public site as a reader sees it: the sample's article page, lists, search, errors."""

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from articles.models import Article, RegionTag, Source, TopicTag
from headlines.models import Headline
from headlines.selectors import ARTICLE_SEARCH_VECTOR, HEADLINE_SEARCH_VECTOR
from newsroom.ingest import dump_ingest
from tests.conftest import SAMPLE

SLUG = "the-coming-iran-us-confrontation-in-iraq"
EXPECTED = json.loads(SAMPLE.with_suffix("").with_suffix(".expected.json").read_text())


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


@pytest.fixture
def published_sample(db, settings, sample_bytes):
    settings.TIME_ZONE = "UTC"
    result = dump_ingest(data=sample_bytes, filename="000.txt", publish=True)
    assert not result.failed, result.error
    return result


def between(html, start, end):
    """The part of ``html`` from the first ``start`` to the next ``end``."""
    head, found, tail = html.partition(start)
    assert found, f"{start!r} not in page"
    return tail.partition(end)[0]


def headline(**fields):
    fields.setdefault("published_at", timezone.now() - timedelta(hours=1))
    fields.setdefault("fingerprint", f"fp-{fields['title']}-{fields['published_at']}")
    return Headline.objects.create(**fields)


def article(**fields):
    fields.setdefault("slug", re.sub(r"\W+", "-", fields["title"].lower()).strip("-"))
    fields.setdefault("status", Article.Status.PUBLISHED)
    fields.setdefault("published_at", timezone.now() - timedelta(hours=1))
    return Article.objects.create(**fields)


# The sample's article page


def test_the_sample_article_page_shows_title_dek_body_cut_note_and_tags(client, published_sample):
    response = client.get(f"/articles/{SLUG}/")
    assert response.status_code == 200
    html = response.content.decode()
    expected = EXPECTED["article"]

    assert (
        f'<h1 id="article-title" class="article-title" dir="auto">{escape(expected["title"])}</h1>'
        in html
    )
    assert f"{escape(expected['dek'])}…</p>" in html
    prose = between(html, '<div class="prose" dir="auto">', "</div>")
    paragraphs = re.findall(r"<p>(.*?)</p>", prose, re.S)
    assert len(paragraphs) == len(expected["paragraphs"]) == 11
    for shown, wanted in zip(paragraphs[:-1], expected["paragraphs"][:-1], strict=True):
        assert unescape(shown) == wanted
    assert unescape(paragraphs[-1]) == expected["paragraphs"][-1] + "…"
    assert "the text continues at the source" in html
    assert '<a href="/regions/middle-east/" dir="auto">Middle East</a>' in html


def test_the_sample_sidebar_lists_20_headlines_newest_first_as_printed(client, published_sample):
    html = client.get(f"/articles/{SLUG}/").content.decode()
    sidebar = between(html, '<ol class="sidebar-list">', "</ol>")
    items = sidebar.split('<li class="sidebar-item')[1:]
    assert len(items) == 20
    first = items[0]
    assert "Iranian editor, social media moderator detained</a></h3>" in first
    # An older year: the date with its year, and the exact moment for machines.
    assert '<time datetime="2017-03-28T21:10:00+00:00">28 Mar 2017</time>' in first
    assert '<a class="region" href="/regions/middle-east/" dir="auto">Middle East</a>' in first
    assert "which focuses on culture…</p>" in first
    titles = [re.search(r"<h3[^>]*><a[^>]*>(.*?)</a></h3>", item, re.S)[1] for item in items]
    assert titles == [escape(h["title"]) for h in EXPECTED["headlines"]]
    # Each item leads to its story page; the outlet is named, not its credit line.
    assert all(re.search(r'<h3[^>]*><a href="/stories/\d+/">', item) for item in items)
    # ... a story page that lists every copy, each with its outlet's credit.
    for item in items:
        story_url = re.search(r'<h3[^>]*><a href="(/stories/\d+/)">', item)[1]
        story = client.get(story_url).content.decode()
        title = re.search(r"<h3[^>]*><a[^>]*>(.*?)</a></h3>", item, re.S)[1]
        assert title in story.partition('class="headline-list"')[2]
    assert "All Rights Reserved" not in sidebar and "©" not in sidebar
    assert 'class="outlet" href="/sources/dar-al-sharq-press-printing-and-distribution/"' in sidebar
    assert "Pinned" not in sidebar


def test_the_article_page_has_title_description_canonical_social_tags_and_json_ld(
    client, published_sample
):
    html = client.get(f"/articles/{SLUG}/").content.decode()
    assert "<title>The coming Iran-US confrontation in Iraq | Newsroom</title>" in html
    assert '<meta name="description" content="With the operation to seize Mosul' in html
    canonical = f"http://testserver/articles/{SLUG}/"
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert f'<meta property="og:url" content="{canonical}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    data = json.loads(between(html, '<script type="application/ld+json">', "</script>"))
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "The coming Iran-US confrontation in Iraq"
    assert data["url"] == canonical


def test_pages_have_landmarks_a_skip_link_and_one_h1(client, published_sample):
    for url in ["/", f"/articles/{SLUG}/", "/headlines/", "/regions/middle-east/", "/search/"]:
        html = client.get(url).content.decode()
        assert '<html lang="en">' in html
        assert '<a class="skip-link" href="#main">' in html
        for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
            assert landmark in html, (url, landmark)
        assert html.count("<h1") == 1, url


def test_a_lead_image_is_shown_with_its_alt_text_and_in_social_tags(client, db, settings, tmp_path):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from articles.images import renditions_make

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (1000, 500), "teal").save(buffer, format="JPEG")
    story = article(title="Pictured", lead_image_alt="A boat on the Tigris")
    story.lead_image.save("boat.jpg", ContentFile(buffer.getvalue()), save=False)
    story.lead_image_renditions = renditions_make(story.lead_image.name)
    story.lead_image_width, story.lead_image_height = 1000, 500
    story.save()
    html = client.get("/articles/pictured/").content.decode()
    assert '<img src="/media/lead-images/boat.jpg" alt="A boat on the Tigris"' in html
    assert 'width="1000" height="500"' in html
    assert "/media/lead-images/renditions/boat-480.webp 480w" in html
    assert (
        '<meta property="og:image" content="http://testserver/media/lead-images/renditions/'
        'boat-1000.jpg">' in html
    )
    assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_the_cut_note_links_to_the_source_when_its_url_is_known(client, db):
    source = Source.objects.create(name="Al-Monitor", slug="al-monitor")
    article(
        title="Cut",
        body="<p>One.</p><p>Two</p>",
        truncated=True,
        source=source,
        source_url="https://www.al-monitor.com/cut",
    )
    html = client.get("/articles/cut/").content.decode()
    assert "<p>Two…</p>" in html
    assert (
        'continues at <a href="https://www.al-monitor.com/cut" rel="noopener">Al-Monitor</a>'
        in html
    )


# Drafts and scheduled articles


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Article.Status.DRAFT},
        {"published_at": timezone.now() + timedelta(days=2)},
        {"published_at": None},
    ],
    ids=["draft", "scheduled", "no publish time"],
)
def test_unpublished_articles_are_404_to_readers_and_a_preview_to_editors(client, editor, fields):
    article(title="Not yet", **fields)
    assert client.get("/articles/not-yet/").status_code == 404

    client.force_login(editor)
    response = client.get("/articles/not-yet/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="preview-banner" role="status"><strong>Preview.</strong>' in html
    assert '<meta name="robots" content="noindex">' in html
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    # ... and the preview never reaches readers through the page cache.
    client.logout()
    assert client.get("/articles/not-yet/").status_code == 404


def test_unpublished_articles_are_in_no_list(client, db):
    article(title="Live one")
    article(title="Draft one", status=Article.Status.DRAFT)
    article(title="Future one", published_at=timezone.now() + timedelta(hours=3))
    for url in ["/", "/search/?q=one"]:
        html = client.get(url).content.decode()
        assert "Live one" in html
        assert "Draft one" not in html and "Future one" not in html


def test_a_headline_links_to_our_article_only_once_it_is_live(client, db):
    draft = article(title="Our take", status=Article.Status.DRAFT)
    headline(title="Their story", article=draft)
    html = client.get("/headlines/").content.decode()
    assert "/articles/our-take/" not in html
    draft.status = Article.Status.PUBLISHED
    draft.save()
    assert (
        'href="/articles/our-take/">Their story</a>' in client.get("/headlines/").content.decode()
    )


# Home, tag, source pages


def test_home_lists_the_latest_live_articles_with_the_sidebar(client, published_sample):
    html = client.get("/").content.decode()
    assert f'href="/articles/{SLUG}/">The coming Iran-US confrontation in Iraq</a>' in html
    assert html.count('<li class="sidebar-item') == 20


def test_a_region_page_lists_its_articles_and_headlines(client, published_sample):
    html = client.get("/regions/middle-east/").content.decode()
    assert '<h1 class="page-title" dir="auto">Middle East</h1>' in html
    articles = between(html, 'id="articles-title"', "</section>")
    assert "The coming Iran-US confrontation in Iraq" in articles
    headlines = between(html, 'id="headlines-title"', "</section>")
    assert headlines.count('<li class="headline-item"') == 20
    assert '<link rel="alternate" type="application/rss+xml" title="Newsroom: Middle East"' in html


def test_a_topic_page_lists_only_what_has_the_topic(client, db):
    energy = TopicTag.objects.get_or_create(slug="energy", defaults={"name": "Energy"})[0]
    oil = headline(title="Oil up")
    oil.topic_tags.add(energy)
    headline(title="Football")
    main = between(client.get("/topics/energy/").content.decode(), "<main", "</main>")
    assert "Oil up" in main and "Football" not in main


def test_unknown_tags_and_sources_are_404(client, db):
    for url in ["/regions/atlantis/", "/topics/nothing/", "/sources/nobody/"]:
        assert client.get(url).status_code == 404


def test_a_source_page_lists_that_outlets_headlines(client, published_sample):
    source = Source.objects.get(slug="al-nisr-publishing-llc")
    main = between(client.get(source.get_absolute_url()).content.decode(), "<main", "</main>")
    assert "Mahdi Ali resigns as UAE coach" in main
    assert "Iranian editor" not in main


def test_hidden_and_undated_headlines_are_not_public(client, db):
    headline(title="Hidden one", visible=False)
    headline(title="Undated one", published_at=None, fingerprint="fp-undated")
    headline(title="Shown one")
    for url in ["/", "/headlines/"]:
        html = client.get(url).content.decode()
        assert "Shown one" in html
        assert "Hidden one" not in html and "Undated one" not in html


# The archive


def test_the_archive_filters_by_source_region_topic_and_date(client, db):
    nisr = Source.objects.create(name="Al Nisr", slug="al-nisr")
    gulf = RegionTag.objects.get_or_create(slug="gulf", defaults={"name": "Gulf"})[0]
    sport = TopicTag.objects.get_or_create(slug="sport", defaults={"name": "Sport"})[0]
    day = timezone.now().replace(year=2017, month=3, day=28, hour=12, minute=0)
    coach = headline(title="Coach resigns", source=nisr, published_at=day)
    coach.region_tags.add(gulf)
    coach.topic_tags.add(sport)
    headline(title="Oil deal", source=nisr, published_at=day - timedelta(days=1))
    headline(title="Elsewhere", published_at=day)

    def titles(query):
        html = client.get(f"/headlines/?{query}").content.decode()
        return set(re.findall(r'class="headline-title"[^>]*>(?:<a[^>]*>)?([^<]+)', html))

    assert titles("") == {"Coach resigns", "Oil deal", "Elsewhere"}
    assert titles("source=al-nisr") == {"Coach resigns", "Oil deal"}
    assert titles("region=gulf") == {"Coach resigns"}
    assert titles("topic=sport") == {"Coach resigns"}
    assert titles("date=2017-03-28") == {"Coach resigns", "Elsewhere"}
    assert titles("source=al-nisr&date=2017-03-27") == {"Oil deal"}
    assert titles("source=&region=&topic=&date=") == {"Coach resigns", "Oil deal", "Elsewhere"}


@pytest.mark.parametrize("query", ["source=nobody", "region=atlantis", "topic=nothing"])
def test_the_archive_is_404_for_an_unknown_filter(client, db, query):
    assert client.get(f"/headlines/?{query}").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "date=yesterday",
        "date=2017-02-30",
        "date=2017-13-01",
        "date=%00",
        "before=garbage",
        "after=1_2&before=3_4",
        "before=999999999999999999_1",
        "after=-99999999999999999_1",
    ],
)
def test_the_archive_ignores_malformed_dates_and_cursors_with_a_notice(client, db, query):
    headline(title="Still here")
    response = client.get(f"/headlines/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="notices" role="status">' in html
    assert "Still here" in html


def test_the_archive_pages_older_and_newer_without_gaps_or_repeats(client, db):
    now = timezone.now()
    # 130 headlines, many sharing a minute, so the id breaks ties.
    made = [
        headline(title=f"Item {n}", published_at=now - timedelta(minutes=n // 3))
        for n in range(130)
    ]
    seen, pages, url = [], [], "/headlines/"
    while url:
        html = client.get(url).content.decode()
        pages.append(url)
        seen += [int(pk) for pk in re.findall(r'id="headline-(\d+)"', html)]
        older = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = "/headlines/" + older[1].replace("&amp;", "&") if older else None
    assert len(pages) == 3
    assert len(seen) == len(set(seen)) == 130
    assert set(seen) == {h.pk for h in made}
    # Back from the last page: the newer link gives the page before it again.
    html = client.get(pages[-1]).content.decode()
    newer = re.search(r'<a rel="prev" href="([^"]+)"', html)[1].replace("&amp;", "&")
    html = client.get("/headlines/" + newer).content.decode()
    assert [int(pk) for pk in re.findall(r'id="headline-(\d+)"', html)] == seen[50:100]


# Search


def test_search_finds_articles_and_headlines_with_every_word(client, published_sample):
    html = client.get("/search/?q=Iran+detained").content.decode()
    found = between(html, 'id="search-headlines"', "</section>")
    assert "Iranian editor, social media moderator detained" in found
    assert "Missing Taiwan activist allegedly detained in China" not in found
    html = client.get("/search/?q=caliphate+Mosul").content.decode()
    assert "The coming Iran-US confrontation in Iraq" in between(
        html, 'id="search-articles"', "</section>"
    )


def test_an_empty_search_shows_the_form_only(client, published_sample):
    html = client.get("/search/?q=+++").content.decode()
    assert 'id="page-search-q"' in html
    assert 'id="search-articles"' not in html and 'id="search-headlines"' not in html


def test_a_long_search_is_cut_to_200_characters(client, published_sample):
    response = client.get("/search/", {"q": "Iran " * 500})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Searches are cut to 200 characters." in html
    assert "Iranian editor" in html


# Error pages


def test_404_is_in_the_site_style(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<h1 class="page-title">Page not found</h1>' in html
    assert "/static/css/site.css" in html


def test_500_renders_without_a_request_or_a_database():
    html = render_to_string("500.html")
    assert "Something went wrong" in html and "/static/css/site.css" in html


def test_a_server_error_shows_the_500_page(db, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("headlines.rendering.sidebar_headlines", broken)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_postgres_search_stems_and_uses_the_gin_indexes(client, published_sample):
    html = client.get("/search/?q=detain").content.decode()
    found = between(html, 'id="search-headlines"', "</section>")
    assert "Iranian editor, social media moderator detained" in found
    assert "Missing Taiwan activist allegedly detained in China" in found
    query = SearchQuery("detain", search_type="websearch", config="english")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # GIN indexes serve bitmap scans only: leave the planner no other index.
        cursor.execute("SET LOCAL enable_indexscan = off")
    plans = [
        Headline.objects.alias(document=HEADLINE_SEARCH_VECTOR).filter(document=query).explain(),
        Article.objects.alias(document=ARTICLE_SEARCH_VECTOR).filter(document=query).explain(),
    ]
    assert "headline_search_idx" in plans[0]
    assert "article_search_idx" in plans[1]


@pytest.mark.parametrize("query", ["' & | ! ( ) :* \\", "<->", "a:*B", "%_", "“quoted” ‘words’"])
def test_search_treats_query_syntax_as_words(client, published_sample, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
