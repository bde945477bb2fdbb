"""The schema holds its promises in the database itself, on SQLite and PostgreSQL."""

import pytest
from django.db import IntegrityError, transaction

from articles.models import Article, ArticleRegion, ArticleTopic, Dump, RegionTag, TopicTag
from headlines.models import Headline, fingerprint, title_key


@pytest.mark.django_db
def test_a_dump_checksum_is_unique():
    Dump.objects.create(raw=b"a", checksum="x" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dump.objects.create(raw=b"b", checksum="x" * 64)


@pytest.mark.django_db
def test_a_headline_fingerprint_is_unique():
    key = fingerprint("Same title", None)
    Headline.objects.create(title="Same title", fingerprint=key, title_key=title_key("Same title"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Headline.objects.create(title="SAME  title", fingerprint=key, title_key="k")


def test_fingerprints_fold_case_spaces_quotes_and_dashes():
    assert fingerprint("Putin, Rouhani hold ‘intensive’ talks — Moscow", None) == fingerprint(
        "putin,  rouhani hold 'intensive' talks - moscow", None
    )


@pytest.mark.django_db
def test_tag_names_are_case_insensitive_in_the_database():
    RegionTag.objects.create(name="Iraq", slug="iraq")
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionTag.objects.create(name="iraq", slug="iraq-2")
    article = Article.objects.create(title="A", slug="a")
    article.region_tags.add("IRAQ")
    assert RegionTag.objects.count() == 1
    assert list(article.region_tags.names()) == ["Iraq"]


@pytest.mark.django_db
def test_regions_and_topics_are_separate_namespaces():
    article = Article.objects.create(title="A", slug="a")
    article.region_tags.add("Oil")
    article.topic_tags.add("Oil")
    region, topic = RegionTag.objects.get(name="Oil"), TopicTag.objects.get(name="Oil")
    assert ArticleRegion.objects.get().tag == region
    assert ArticleTopic.objects.get().tag == topic
    assert list(Article.objects.filter(region_tags__name__iexact="oil")) == [article]
    region.name = "Crude"
    region.save()
    assert list(article.topic_tags.names()) == ["Oil"]


@pytest.mark.django_db
def test_article_slugs_are_unique():
    Article.objects.create(title="A", slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(title="B", slug="same")
