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


def _dump(*items):
    """A headline list: (position, title, time, credit) per item."""
    lines = ["Latest headlines", ""]
    for position, title, time, credit in items:
        lines += [f"  {position}. {title} - Gulf", f"    {time}", f"    Text. © {credit} 2017"]
    return "\n".join(lines) + "\n"


@pytest.mark.django_db
def test_imports_add_to_the_counts_and_recount_only_a_source_a_headline_left():
    first = _dump(
        (1, "Port reopens", "03.29 / 08:00", "Gulf Wire"),
        (2, "Oil dips", "03.29 / 07:00", "Gulf Wire"),
    )
    dump_ingest(data=first, filename="1.txt")
    # The port story's credit grows to another outlet's (the longer copy wins the
    # merge): that headline moves to it; a new headline is added to Gulf Wire.
    second = _dump(
        (1, "Port reopens", "03.29 / 08:00", "Gulf Wire Services International"),
        (2, "Grid upgrade", "03.29 / 09:30", "Gulf Wire"),
    )
    dump_ingest(data=second, filename="2.txt")
    third = _dump((1, "Summit opens", "03.29 / 10:00", "Gulf Wire"))
    with CaptureQueriesContext(connection) as queries:
        dump_ingest(data=third, filename="3.txt")
    # Adding to a source's figures reads none of its headlines.
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    sources = Source.objects.filter(headlines__isnull=False).distinct()
    assert sorted(s.name for s in sources) == ["Gulf Wire", "Gulf Wire Services International"]
    for source in sources:
        assert (source.headline_count, source.last_seen_at) == counted(source)
    assert Source.objects.get(name="Gulf Wire").headline_count == 3
