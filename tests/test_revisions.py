"""Every save keeps a revision; an editor can restore one, and ingest respects it."""

import pytest
from django.urls import reverse
from reversion.models import Version

from articles.models import Article, Dump
from newsroom.ingest import dump_ingest, dump_reparse


def article_form(article, **changes):
    data = {
        "title": article.title,
        "slug": article.slug,
        "dek": article.dek,
        "dek_truncated": "on" if article.dek_truncated else "",
        "body": article.body,
        "truncated": "on" if article.truncated else "",
        "status": article.status,
        "published_at_0": "",
        "published_at_1": "",
        "region_tags": ", ".join(article.region_tags.names()),
        "topic_tags": ", ".join(article.topic_tags.names()),
        "source_url": "",
        "lead_image_alt": "",
        "lead_image_credit": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


@pytest.mark.django_db
def test_restoring_a_revision_sticks_through_a_re_import(client, editor, sample_bytes):
    dump_ingest(data=sample_bytes, filename="000.txt")
    article = Article.objects.get()
    imported_body = article.body
    change = reverse("admin:articles_article_change", args=[article.pk])
    client.force_login(editor)

    assert client.post(change, article_form(article, body="First edit.")).status_code == 302
    article.refresh_from_db()
    assert client.post(change, article_form(article, body="Second edit.")).status_code == 302
    versions = Version.objects.get_for_object(article)
    assert versions.count() == 3  # the import, then two edits
    first_edit = next(v for v in versions if v.field_dict["body"] == "First edit.")

    history = client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert history.status_code == 200 and "Imported from dump 000.txt" in history.content.decode()
    compare = client.get(
        reverse("admin:articles_article_compare", args=[article.pk, first_edit.pk])
    ).content.decode()
    assert "- First edit." in compare and "+ Second edit." in compare
    revision_url = reverse("admin:articles_article_revision", args=[article.pk, first_edit.pk])
    assert client.get(revision_url).status_code == 200
    article.refresh_from_db()
    restored = client.post(revision_url, article_form(article, body="First edit."))
    assert restored.status_code == 302
    article.refresh_from_db()
    assert article.body == "First edit." and "body" in article.edited_fields

    result = dump_reparse(dump=Dump.objects.get())
    article.refresh_from_db()
    assert article.body == "First edit." != imported_body
    assert any("body" in conflict for conflict in result.conflicts)
