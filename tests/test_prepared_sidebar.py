"""The sidebar's prepared queries and row renderer: the same rows and markup as the ORM and
templates gave, the clock still applied per request, every dump value escaped."""

from datetime import timedelta

from django.utils import timezone

from articles.models import Article, RegionTag, Source
from articles.prepared import PreparedValues
from headlines.models import Headline, HeadlineRegion, Story
from headlines.rendering import render_sidebar
from headlines.selectors import _sidebar_queryset, sidebar_headlines


def _headline(n, **fields):
    return Headline.objects.create(
        title=f"Headline {n}",
        fingerprint=f"fp-{n}",
        story=Story.objects.create(),
        published_at=timezone.now() - timedelta(minutes=n),
        **fields,
    )


def test_prepared_rows_equal_the_orm_values_and_follow_the_clock(db):
    source = Source.objects.create(name="Outlet", slug="outlet", short_name="Out")
    soon = timezone.now() + timedelta(hours=1)
    article = Article.objects.create(
        title="Ours", slug="ours", status=Article.Status.PUBLISHED, published_at=soon
    )
    for n in range(8):
        _headline(n, source=source if n % 2 else None, article=article if n == 3 else None)
    query = PreparedValues(lambda now, ids, key: _sidebar_queryset(now=now, limit=5))
    now = timezone.now()
    assert query.rows(now=now) == list(_sidebar_queryset(now=now, limit=5))
    # The article is scheduled: its slug shows once the clock passes, with the same SQL.
    assert [row["article_slug"] for row in query.rows(now=now)] == [None] * 5
    later = soon + timedelta(minutes=1)
    assert [row["article_slug"] for row in query.rows(now=later)][3] == "ours"
    assert query.rows(now=later) == list(_sidebar_queryset(now=later, limit=5))


def test_prepared_id_lists_of_any_length(db):
    tag = RegionTag.objects.create(name="Gulf", slug="gulf")
    rows = [_headline(n) for n in range(4)]
    HeadlineRegion.objects.bulk_create(HeadlineRegion(content_object=row, tag=tag) for row in rows)
    query = PreparedValues(
        lambda now, ids, key: HeadlineRegion.objects.filter(content_object_id__in=ids).values(
            "content_object_id", "tag__slug"
        )
    )
    for count in (1, 3, 1, 4):
        ids = [row.pk for row in rows[:count]]
        found = query.rows(ids=ids)
        assert sorted(row["content_object_id"] for row in found) == ids
        assert {row["tag__slug"] for row in found} == {"gulf"}


def test_sidebar_rows_escape_every_dump_value(db):
    hostile = '<script>alert("x")</script>'
    source = Source.objects.create(name=hostile, slug="evil")
    headline = _headline(
        0,
        source=source,
        summary=hostile,
        summary_truncated=True,
        region_label='"><img src=x>',
        url="javascript:alert(1)",
    )
    headline.title = hostile
    headline.save()
    html = str(render_sidebar())
    assert "<script>" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;/script&gt;…</p>" in html  # the cut mark after the escaped summary
    assert [h.title for h in sidebar_headlines()] == [hostile]


def test_article_tags_come_from_both_halves_of_the_union(db):
    from articles.models import TopicTag
    from articles.views import article_tags

    article = Article.objects.create(title="Ours", slug="ours")
    other = Article.objects.create(title="Other", slug="other")
    article.region_tags.add(RegionTag.objects.create(name="Levantine", slug="levantine"))
    article.topic_tags.add(TopicTag.objects.create(name="Securities", slug="securities"))
    other.topic_tags.add(TopicTag.objects.create(name="Sporting", slug="sporting"))
    for _ in range(2):  # the second run is the prepared SQL
        regions, topics = article_tags(article)
        assert [(tag.name, tag.get_absolute_url) for tag in regions] == [
            ("Levantine", "/regions/levantine/")
        ]
        assert [(tag.name, tag.get_absolute_url) for tag in topics] == [
            ("Securities", "/topics/securities/")
        ]
    assert [tag.name for tag in article_tags(other)[1]] == ["Sporting"]


def test_site_links_follow_the_script_prefix():
    from django.urls import clear_script_prefix, set_script_prefix

    from articles.rendering import site_url

    assert site_url("headline-archive") == "/headlines/"
    set_script_prefix("/news/")
    try:
        assert site_url("headline-archive") == "/news/headlines/"
    finally:
        clear_script_prefix()
    assert site_url("headline-archive") == "/headlines/"
