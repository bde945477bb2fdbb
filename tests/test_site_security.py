"""Everything from a dump is untrusted: it is shown as text on every page, feed and JSON-LD."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache

from articles.models import Article, RegionTag, Source
from headlines.models import Headline
from newsroom.ingest import dump_ingest

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"

EVIL_DUMP = f"""Evil {SCRIPT} page

Evil {SCRIPT} page
  1. Evil {SCRIPT} page
    Dek {IMG} and {JS} here
    Middle Easte

Body with {SCRIPT} and {IMG} inside.

Second paragraph {JS} ends here

  1. Headline {SCRIPT} in Iraq - Middle Easte
    03.28 / 21:10
    Summary {IMG} {JS} © {IMG} Evil Press 2017. All rights reserved.
  2. {JS} - Middle Easte
    03.28 / 21:00
    Second summary with {SCRIPT} © {SCRIPT} Corp 2017
"""

RAW = [SCRIPT, "<script>", "<img src=x", "onerror=alert(1)>"]
# A dump's URL or text must never become a link or a source.
DANGEROUS_ATTRIBUTE = re.compile(r"""(?:href|src|content)\s*=\s*["']?\s*javascript:""", re.I)


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


@pytest.fixture
def evil(db, settings):
    settings.TIME_ZONE = "UTC"
    result = dump_ingest(data=EVIL_DUMP, filename="evil.txt", publish=True)
    assert not result.failed, result.error
    story = Article.objects.get()
    assert story.title == f"Evil {SCRIPT} page"
    story.source_url = JS
    story.lead_image.name = "lead-images/x.jpg"
    story.lead_image_alt = IMG
    story.lead_image_credit = SCRIPT
    story.source = Source.objects.create(name=f"{IMG} Source", slug="evil-source", homepage_url=JS)
    story.save()
    tag = RegionTag.objects.create(name=SCRIPT, slug="evil-tag")
    story.region_tags.add(tag)
    for headline in Headline.objects.all():
        headline.url = JS
        headline.region_tags.add(tag)
        headline.save()
    return story


def pages(story):
    sources = [s.get_absolute_url() for s in Source.objects.all()]
    return [
        "/",
        story.get_absolute_url(),
        "/headlines/",
        "/regions/middle-east/",
        "/regions/evil-tag/",
        "/search/?q=Evil",
        "/search/?q=" + SCRIPT,
        *sources,
    ]


def assert_no_raw_payload(text, where):
    for raw in RAW:
        assert raw not in text, f"{raw!r} unescaped in {where}"
    assert not DANGEROUS_ATTRIBUTE.search(text), f"javascript: URL in an attribute of {where}"


def test_dump_text_is_escaped_on_every_page(client, evil):
    for url in pages(evil):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_no_raw_payload(html, url)
    html = client.get(evil.get_absolute_url()).content.decode()
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt; page</h1>" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    # javascript: is shown as text, never as a link.
    assert f"Second paragraph {JS} ends here" in html
    assert "continues at" not in html  # not truncated; the bad URL is simply not linked


def test_the_cut_note_never_links_a_javascript_url(client, evil):
    evil.truncated = True
    evil.save()
    html = client.get(evil.get_absolute_url()).content.decode()
    assert "the text continues at &quot;&gt;&lt;img" in html
    assert_no_raw_payload(html, "article")


def test_json_ld_escapes_the_characters_that_could_close_its_script(client, evil):
    html = client.get(evil.get_absolute_url()).content.decode()
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(scripts) == 1
    assert "<" not in scripts[0] and ">" not in scripts[0] and "&" not in scripts[0]
    data = json.loads(scripts[0])
    assert data["headline"] == f"Evil {SCRIPT} page"
    assert data["description"] == f"Dek {IMG} and {JS} here"
    assert data["sourceOrganization"]["name"] == f"{IMG} Source"


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/articles/",
        "/feeds/headlines/",
        "/feeds/regions/middle-east/",
        "/feeds/regions/evil-tag/",
    ],
)
def test_feeds_carry_dump_text_as_text(client, evil, url):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert_no_raw_payload(body, url)
    channel = ET.fromstring(response.content).find("channel")
    items = channel.findall("item")
    assert items
    for item in items:
        # Titles are plain text; descriptions are HTML, so their markup is escaped once more.
        description = item.findtext("description") or ""
        assert "<script" not in description and "<img" not in description
        assert not item.findtext("link").startswith("javascript:")
    titles = {item.findtext("title") for item in items}
    assert titles & {f"Evil {SCRIPT} page", f"Headline {SCRIPT} in Iraq", JS}


def test_the_sitemap_is_escaped(client, evil):
    response = client.get("/sitemap.xml")
    assert_no_raw_payload(response.content.decode(), "sitemap")
    ET.fromstring(response.content)
