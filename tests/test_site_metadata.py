"""What search engines and feed readers read: the Google News sitemap, NewsArticle
JSON-LD, feeds that lead to our pages and read as a page in a browser, corrections."""

import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from articles.models import Article, Source
from articles.services import correction_add
from headlines.models import Headline, Story

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


def publish(slug, age, **fields):
    return Article.objects.create(
        title=fields.pop("title", f"Story {slug}"),
        slug=slug,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - age,
        **fields,
    )


def json_ld(client, url):
    html = client.get(url).content.decode()
    script = html.partition('<script type="application/ld+json">')[2].partition("</script>")[0]
    return json.loads(script)


# Google News sitemap


def test_the_news_sitemap_has_googles_shape_and_only_the_last_two_days(client, db):
    publish("fresh", timedelta(hours=3), title="Fresh & <new>")
    publish("yesterday", timedelta(hours=40))
    publish("old", timedelta(days=3))
    publish(
        "old-outlet-date", timedelta(hours=1), outlet_published_at=datetime(2017, 3, 28, tzinfo=UTC)
    )
    Article.objects.create(title="Draft", slug="draft", published_at=timezone.now())
    response = client.get("/sitemap-news.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # well-formed, & and < escaped
    assert root.tag == f"{SM}urlset"
    assert b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' in response.content
    urls = root.findall(f"{SM}url")
    locations = [url.findtext(f"{SM}loc") for url in urls]
    assert locations == [
        "http://testserver/articles/fresh/",
        "http://testserver/articles/yesterday/",
    ]
    for url in urls:
        news = url.find(f"{NEWS}news")
        assert [child.tag for child in news] == [
            f"{NEWS}publication",
            f"{NEWS}publication_date",
            f"{NEWS}title",
        ]
        publication = news.find(f"{NEWS}publication")
        assert publication.findtext(f"{NEWS}name") == "Newsroom"
        assert publication.findtext(f"{NEWS}language") == "en"
        datetime.fromisoformat(news.findtext(f"{NEWS}publication_date"))  # W3C date-time
    assert urls[0].find(f"{NEWS}news").findtext(f"{NEWS}title") == "Fresh & <new>"


def test_robots_txt_names_both_sitemaps(client, db):
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Sitemap: http://testserver/sitemap-news.xml" in text


# NewsArticle JSON-LD


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


def test_json_ld_has_dates_author_publisher_logo_and_three_image_shapes(client, db, media):
    from articles.images import lead_image_store

    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), "navy").save(buffer, format="JPEG")
    name, renditions = lead_image_store(SimpleUploadedFile("boat.jpg", buffer.getvalue()))
    source = Source.objects.create(name="Gulf News", slug="gulf-news")
    published = timezone.now() - timedelta(hours=5)
    article = publish(
        "boat",
        timedelta(hours=5),
        byline="Jill Serjeant",
        source=source,
        lead_image=name,
        lead_image_renditions=renditions,
        edited_at=published + timedelta(hours=1),
    )
    data = json_ld(client, "/articles/boat/")
    assert data["@type"] == "NewsArticle"
    assert datetime.fromisoformat(data["datePublished"]) == article.published_at
    assert datetime.fromisoformat(data["dateModified"]) == article.edited_at
    assert data["author"] == [{"@type": "Person", "name": "Jill Serjeant"}]
    assert data["publisher"]["name"] == "Newsroom"
    assert data["publisher"]["logo"]["url"].endswith("/static/img/logo.png")
    assert [url.rsplit("-", 1)[1] for url in data["image"]] == ["16x9.jpg", "4x3.jpg", "1x1.jpg"]
    assert all(url.startswith("http://testserver/media/") for url in data["image"])
    shapes = {r["ratio"]: (r["width"], r["height"]) for r in renditions if r.get("ratio")}
    assert shapes == {"16x9": (1200, 675), "4x3": (1200, 900), "1x1": (1000, 1000)}
    assert "correction" not in data


# Corrections


def test_a_correction_shows_under_the_article_and_in_its_json_ld(client, db):
    article = publish("fixed", timedelta(hours=2))
    correction = correction_add(article=article, text="An earlier version misnamed the minister.")
    html = client.get("/articles/fixed/").content.decode()
    body = html.partition('class="prose"')[2]
    assert "An earlier version misnamed the minister." in body.partition('class="corrections"')[2]
    assert 'href="/corrections/">Our corrections policy</a>' in html
    data = json_ld(client, "/articles/fixed/")
    assert data["correction"] == [
        {
            "@type": "CorrectionComment",
            "text": "An earlier version misnamed the minister.",
            "datePublished": correction.corrected_at.isoformat(),
        }
    ]
    assert data["dateModified"] == correction.corrected_at.isoformat()
    assert "Corrections policy" in client.get("/corrections/").content.decode()
    with pytest.raises(ValueError):
        correction_add(article=article, text="  ")


def test_an_article_page_with_corrections_costs_one_query_more(
    client, db, django_assert_max_num_queries
):
    article = publish("fixed", timedelta(hours=2))
    correction_add(article=article, text="Fixed.")
    client.get("/robots.txt")
    with django_assert_max_num_queries(5):
        assert client.get("/articles/fixed/").status_code == 200


def test_editors_add_a_correction_in_the_article_admin(admin_client, db):
    article = publish("desk", timedelta(hours=2))
    change = f"/admin/articles/article/{article.pk}/change/"
    assert "corrections-TOTAL_FORMS" in admin_client.get(change).content.decode()
    published = timezone.localtime(article.published_at)
    response = admin_client.post(
        change,
        {
            "title": article.title,
            "slug": article.slug,
            "status": "published",
            "published_at_0": published.strftime("%Y-%m-%d"),
            "published_at_1": published.strftime("%H:%M:%S"),
            "corrections-TOTAL_FORMS": "1",
            "corrections-INITIAL_FORMS": "0",
            "corrections-MIN_NUM_FORMS": "0",
            "corrections-MAX_NUM_FORMS": "1000",
            "corrections-0-text": "The vote was on Tuesday, not Monday.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [c.text for c in article.corrections.all()] == ["The vote was on Tuesday, not Monday."]
    cache.clear()
    assert "not Monday" in client_page(article)


def client_page(article):
    from django.test import Client

    return Client().get(article.get_absolute_url()).content.decode()


# Feeds


def test_feed_items_lead_to_our_story_and_article_pages_and_read_as_a_page(client, db):
    story = Story.objects.create(title="Told", outlets=2)
    ours = publish("ours", timedelta(hours=1))
    Headline.objects.create(
        title="Told",
        fingerprint="a",
        story=story,
        published_at=timezone.now(),
        url="https://x.example/a",
    )
    Headline.objects.create(
        title="Covered", fingerprint="b", story=story, published_at=timezone.now(), article=ours
    )
    response = client.get("/feeds/headlines/")
    assert b'<?xml-stylesheet href="/static/feeds/rss.xsl" media="screen" type="text/xsl"?>' in (
        response.content
    )
    links = {
        item.findtext("title"): item.findtext("link")
        for item in ET.fromstring(response.content).iter("item")
    }
    assert links == {
        "Told": f"http://testserver/stories/{story.pk}/",
        "Covered": "http://testserver/articles/ours/",
    }
    articles = client.get("/feeds/articles/").content
    assert b'<?xml-stylesheet href="/static/feeds/rss.xsl"' in articles
    assert b"<link>http://testserver/articles/ours/</link>" in articles
