"""The public site's layout in a real Chromium at 1280, 768 and 360 px.

On every public page, at each width: nothing wider than the screen (no
sideways scroll) and axe-core finds no violation of any impact; an Arabic
article page is laid out right to left. The front page and an article with
its sidebar are screenshot at each width (test-artifacts/) and their columns
measured: beside the page, the sidebar ends near the main column; under it on
a phone, it is short.
"""

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from articles.images import lead_image_store
from articles.models import Article, RegionTag, Source, TopicTag
from articles.services import article_set_front_lead, correction_add
from headlines.models import Headline
from newsroom.ingest import Status, dump_ingest
from tests.conftest import SAMPLE

WIDTHS = {"desktop": 1280, "tablet": 768, "phone": 360}
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', nodes: [String(e)]}]));
"""
MEASURE = """
const root = document.documentElement;
const box = (sel) => { const el = document.querySelector(sel);
  return el ? el.getBoundingClientRect().toJSON() : null; };
const wide = Array.from(document.querySelectorAll('body *'))
  .filter((el) => { const r = el.getBoundingClientRect();
    return r.width && (r.right > root.clientWidth + 1 || r.left < -1); })
  .slice(0, 5).map((el) => el.tagName + '.' + el.className);
const shown = Array.from(document.querySelectorAll('.sidebar-item'))
  .filter((el) => el.getClientRects().length).length;
return {clientWidth: root.clientWidth, scrollWidth: root.scrollWidth, wide: wide,
  main: box('main'), aside: box('aside.sidebar'), shown: shown,
  dir: getComputedStyle(document.body).direction,
  htmlDir: root.getAttribute('dir'), lang: root.getAttribute('lang')};
"""

ARABIC_TITLE = "وزير الخارجية يزور بغداد لبحث التعاون الاقتصادي"
ARABIC_BODY = [
    "قال وزير الخارجية إن الزيارة تهدف إلى تعزيز العلاقات بين البلدين في مجالات التجارة والطاقة.",
    "وأضاف أن المحادثات مع المسؤولين العراقيين كانت مثمرة، وأن الجانبين اتفقا على خطة عمل.",
    "وتأتي الزيارة بعد أسابيع من توقيع اتفاق لتصدير النفط عبر الموانئ الجنوبية.",
]
TITLES = [
    "Oil exporters weigh a new cut as prices slide for a third week",
    "Parliament passes the budget after a night of bargaining",
    "Drought pushes farmers off the land in the north",
    "Port strike ends with a pay deal and a promise of new cranes",
    "Talks on the border crossing resume in Geneva",
    "A new metro line opens after nine years of works",
    "Central bank holds rates, warns of imported inflation",
    "Football: the league's leaders drop points at home",
    "Election commission sets the date for local polls",
    "Desalination plant to double the city's water supply",
    "Refugees return to the old town as the rebuilding starts",
    "Power cuts return as summer demand peaks",
]
REGIONS = ["Iraq", "Gulf", "Egypt", "Syria"]
TOPICS = ["Energy", "Politics", "Economy"]


def photo(name, colour):
    """A photo-like JPEG: a sky, a horizon and a boat, so the crop shows."""
    image = Image.new("RGB", (1600, 1000), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 620, 1600, 1000), fill=(30, 60, 90))
    draw.polygon([(600, 640), (1000, 640), (930, 720), (670, 720)], fill=(240, 240, 230))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return lead_image_store(SimpleUploadedFile(name, buffer.getvalue()))


@pytest.fixture
def site(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ROOT_URLCONF = "tests.browser.media_urls"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    result = dump_ingest(data=SAMPLE.read_bytes(), filename="sample.txt", publish=True)
    assert result.status == Status.IMPORTED
    sample = Article.objects.get()
    source = Source.objects.create(name="Gulf Wire Services LLC", short_name="Gulf Wire", slug="gw")
    regions = [
        RegionTag.objects.get_or_create(name=n, defaults={"slug": n.lower()})[0] for n in REGIONS
    ]
    topics = [
        TopicTag.objects.get_or_create(name=n, defaults={"slug": n.lower()})[0] for n in TOPICS
    ]
    now = timezone.now()
    for n, title in enumerate(TITLES):
        fields = {}
        if n < 5:
            name, renditions = photo(f"lead-{n}.jpg", (120 + 20 * n, 170, 210))
            fields = {
                "lead_image": name,
                "lead_image_renditions": renditions,
                "lead_image_width": 1600,
                "lead_image_height": 1000,
                "lead_image_alt": "A boat on the water at dusk",
                "lead_image_credit": "Photo: Gulf Wire",
            }
        article = Article.objects.create(
            title=title,
            slug=f"story-{n}",
            dek="What happened, why it matters, and what comes next, in one sentence or two.",
            body="\n\n".join(
                ["A paragraph of the story, long enough to wrap a few lines. " * 4] * 6
            ),
            byline="Jill Serjeant" if n % 2 else "",
            status=Article.Status.PUBLISHED,
            published_at=now - timedelta(minutes=30 + 70 * n),
            source=source,
            **fields,
        )
        article.region_tags.add(regions[n % len(regions)])
        article.topic_tags.add(topics[n % len(topics)])
    article_set_front_lead(article=Article.objects.get(slug="story-0"))  # a lead with its photo
    correction_add(
        article=Article.objects.get(slug="story-1"),
        text="An earlier version gave the wrong vote count.",
    )
    arabic = Article.objects.create(
        title=ARABIC_TITLE,
        slug="arabic",
        dek="زيارة تهدف إلى تعزيز التعاون في مجالي التجارة والطاقة.",
        body="\n\n".join(ARABIC_BODY),
        status=Article.Status.PUBLISHED,
        published_at=now - timedelta(hours=20),
        source=source,
    )
    arabic.region_tags.add(regions[0])
    Headline.objects.create(
        title=ARABIC_TITLE,
        summary=ARABIC_BODY[0],
        fingerprint="fp-arabic",
        published_at=now - timedelta(minutes=5),
        source=source,
        region_label="العراق",
    )
    cache.clear()
    headline = Headline.objects.filter(story__isnull=False).first()
    return {
        "sample": sample,
        "arabic": arabic,
        "pages": [
            "/",
            "/articles/story-1/",
            sample.get_absolute_url(),
            "/articles/arabic/",
            "/headlines/",
            "/headlines/?stories=1",
            "/regions/iraq/",
            "/topics/energy/",
            "/sources/gw/",
            f"/stories/{headline.story_id}/",
            "/search/?q=oil",
            "/corrections/",
            "/no-such-page/",
        ],
    }


def set_width(browser, width):
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def axe_violations(browser):
    if not browser.execute_script("return typeof axe !== 'undefined'"):
        browser.execute_script(AXE)
    browser.set_script_timeout(60)
    return browser.execute_async_script(AXE_RUN)


@pytest.mark.django_db(transaction=True)
def test_every_public_page_fits_each_width_and_has_no_axe_violation(live_server, browser, site):
    problems = []
    for label, width in WIDTHS.items():
        set_width(browser, width)
        for path in site["pages"]:
            browser.get(live_server.url + path)
            layout = browser.execute_script(MEASURE)
            if layout["scrollWidth"] > layout["clientWidth"]:
                problems.append((label, path, "sideways scroll", layout["wide"]))
            for violation in axe_violations(browser):
                problems.append((label, path, violation))
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


@pytest.mark.django_db(transaction=True)
def test_the_front_page_and_an_article_look_right_at_each_width(live_server, browser, site):
    for width in WIDTHS.values():
        set_width(browser, width)
        for name, path in (
            ("front", "/"),
            ("article", "/articles/story-1/"),
            ("arabic", "/articles/arabic/"),
        ):
            browser.get(live_server.url + path)
            layout = browser.execute_script(MEASURE)
            full = browser.execute_script("return document.documentElement.scrollHeight")
            browser.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {
                    "width": width,
                    "height": min(full, 6000),
                    "deviceScaleFactor": 1,
                    "mobile": width < 600,
                },
            )
            browser.shots.take(f"{name}-{width}")
            set_width(browser, width)
            main, aside = layout["main"], layout["aside"]
            if width >= 960:  # side by side: the columns end together (within 4 rem)
                assert aside["left"] > main["right"] or aside["right"] < main["left"], layout
                assert abs(aside["bottom"] - main["bottom"]) < 64, (path, main, aside)
            else:  # under the page: the first five, then the link
                assert aside["top"] >= main["bottom"], layout
                assert layout["shown"] == 5, (path, layout["shown"])
            if name == "arabic":
                assert (layout["htmlDir"], layout["lang"], layout["dir"]) == ("rtl", "ar", "rtl")
            else:
                assert layout["dir"] == "ltr"
