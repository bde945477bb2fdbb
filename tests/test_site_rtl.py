"""Right to left: dump text carries dir="auto" (and lang when its script tells it);
a page whose article is Arabic or Hebrew is laid out right to left."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article
from headlines.models import Headline, Story

ARABIC_TITLE = "وزير الخارجية يزور بغداد لبحث التعاون"
ARABIC_BODY = (
    "قال وزير الخارجية إن الزيارة تهدف إلى تعزيز العلاقات.\n\nوأضاف أن المحادثات كانت مثمرة."
)
HEBREW_TITLE = "ראש הממשלה נפגש עם השגריר"


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


def publish(title, slug, body="One."):
    return Article.objects.create(
        title=title,
        slug=slug,
        body=body,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


@pytest.mark.parametrize(("title", "lang"), [(ARABIC_TITLE, "ar"), (HEBREW_TITLE, "he")])
def test_an_arabic_or_hebrew_article_page_is_right_to_left(client, db, title, lang):
    publish(title, "rtl", body=ARABIC_BODY if lang == "ar" else title)
    html = client.get("/articles/rtl/").content.decode()
    assert f'<html dir="rtl" lang="{lang}">' in html
    assert f'class="article-title" dir="auto">{title}</h1>' in html
    # The site's own words are English inside the right-to-left page.
    assert '<header class="site-header" lang="en">' in html


def test_an_english_article_page_stays_left_to_right(client, db):
    publish("Minister visits Baghdad", "ltr")
    html = client.get("/articles/ltr/").content.decode()
    assert '<html lang="en">' in html and 'dir="rtl"' not in html


def test_sidebar_items_from_dumps_carry_dir_auto_and_their_language(client, db):
    story = Story.objects.create(title=ARABIC_TITLE)
    Headline.objects.create(
        title=ARABIC_TITLE,
        summary=ARABIC_BODY,
        fingerprint="fp-ar",
        story=story,
        published_at=timezone.now(),
        region_label="العراق",
    )
    Headline.objects.create(title="English one", fingerprint="fp-en", published_at=timezone.now())
    aside = client.get("/").content.decode().partition('<aside class="sidebar"')[2]
    assert (
        f'<h3 class="headline-title" dir="auto" lang="ar"><a href="/stories/{story.pk}/">' in aside
    )
    assert '<p class="headline-summary" dir="auto" lang="ar">' in aside
    assert '<span class="region" dir="auto">العراق</span>' in aside
    assert '<h3 class="headline-title" dir="auto">English one</h3>' in aside


def test_an_arabic_card_on_the_front_page_is_right_to_left(client, db):
    publish(ARABIC_TITLE, "rtl")
    main = client.get("/").content.decode().partition("<main")[2]
    assert '<article class="article-card is-lead" dir="rtl" lang="ar">' in main
