"""The Source list reads each source's headline count and last-seen time from its row.

Ingest, merges and headline edits keep them (``sources_recount``), so the list
costs the same few queries at a million headlines, and aggregates nothing.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Source
from articles.services import source_merge
from headlines.models import Headline
from headlines.services import headlines_delete, headlines_set_source
from newsroom.ingest import dump_ingest


@pytest.fixture
def imported(db, sample_bytes):
    dump_ingest(data=sample_bytes, filename="000.txt")
    return Source.objects.filter(headlines__isnull=False).distinct()


def counted(source):
    rows = Headline.objects.filter(source=source)
    last = rows.order_by("-published_at").values_list("published_at", flat=True).first()
    return (rows.count(), last)


def test_ingest_keeps_every_credited_source_counted(imported):
    assert imported.count() > 1
    for source in imported:
        assert (source.headline_count, source.last_seen_at) == counted(source) != (0, None)


def test_merges_moves_and_deletes_keep_the_counts(imported, editor):
    keep, other = list(imported)[:2]
    moved = list(Headline.objects.filter(source=other)[:1])
    headlines_set_source(headlines=moved, user=editor, source=keep)
    for source in (keep, other):
        source.refresh_from_db()
        assert (source.headline_count, source.last_seen_at) == counted(source)
    headlines_delete(headlines=moved, user=editor)
    keep.refresh_from_db()
    assert (keep.headline_count, keep.last_seen_at) == counted(keep)
    source_merge(keep=keep, merge=other)
    keep.refresh_from_db()
    assert (keep.headline_count, keep.last_seen_at) == counted(keep)


def test_the_source_list_aggregates_no_headline(client, editor, imported):
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:articles_source_changelist"))
    assert page.status_code == 200
    assert len(queries) <= 12
    assert not [q["sql"] for q in queries if "headlines_headline" in q["sql"]]
    first = imported.order_by("name").first()
    assert f">{first.headline_count}<" in page.content.decode()
