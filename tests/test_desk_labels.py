"""The admin's unlabelled inputs get their names in the HTML itself (no script)."""

import pytest
from django.urls import reverse

from articles.models import Article, Source, SourceAlias
from headlines.models import Headline


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


@pytest.mark.django_db
def test_the_list_s_editable_boxes_say_what_and_whose(desk):
    Headline.objects.create(title="Port reopens after storm", title_key="port", fingerprint="p")
    page = desk.get(reverse("admin:headlines_headline_changelist")).content.decode()
    assert 'aria-label="Visible in the sidebar: Port reopens after storm"' in page
    assert 'aria-label="Pinned: Port reopens after storm"' in page


@pytest.mark.django_db
def test_date_and_time_halves_and_inline_cells_are_named(desk):
    article = Article.objects.create(title="Dams on the Nile", slug="dams")
    page = desk.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert 'aria-label="Publish time: date"' in page and 'aria-label="Publish time: time"' in page
    source = Source.objects.create(name="Gulf Wire", slug="gulf-wire")
    SourceAlias.objects.create(source=source, name="Gulf Wire Ltd")
    page = desk.get(reverse("admin:articles_source_change", args=[source.pk])).content.decode()
    assert 'aria-label="Name as credited, row 1"' in page and 'aria-label="Delete, row 1"' in page
    assert 'aria-label="Name as credited, row 2"' in page  # the blank row for one more alias
