"""CSV export of the changelists: filtered, streamed, safe to open in a spreadsheet."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.http import StreamingHttpResponse
from django.urls import reverse

from articles.admin import csv_cell
from headlines.models import Headline
from newsroom.ingest import dump_ingest

FORMULAS = (
    "Latest headlines\n\n"
    "  1. =HYPERLINK(\"http://evil\") - Gulf\n    03.28 / 21:10\n    +cmd|' /C calc'!A0 © 2017 X\n"
    "  2. @SUM(1+1) - Europe\n    03.28 / 21:00\n    -2+3 plain. © 2017 Y\n"
)


def rows_of(response):
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_cells_that_start_a_formula_are_escaped():
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("+1") == "'+1" and csv_cell("-1") == "'-1" and csv_cell("@x") == "'@x"
    assert csv_cell("plain") == "plain" and csv_cell(None) == ""


@pytest.mark.django_db
def test_the_headline_export_streams_the_filtered_changelist(client, editor):
    dump_ingest(data=FORMULAS, filename="f.txt")
    client.force_login(editor)
    url = reverse("admin:headlines_headline_export")
    rows = rows_of(client.get(url))
    assert rows[0][:2] == ["id", "title"]
    titles = {row[1] for row in rows[1:]}
    assert titles == {'\'=HYPERLINK("http://evil")', "'@SUM(1+1)"}
    gulf = Headline.objects.get(region_label="Gulf")
    gulf.visible = False
    gulf.save()
    filtered = rows_of(client.get(url + "?visible__exact=1"))
    assert [row[1] for row in filtered[1:]] == ["'@SUM(1+1)"]


@pytest.mark.django_db
def test_only_permitted_users_can_export(client, django_user_model):
    url = reverse("admin:articles_article_export")
    assert client.get(url).status_code == 302  # to the login page
    staff = django_user_model.objects.create_user("s", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_source"))
    client.force_login(staff)
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_a_hundred_thousand_headlines_stream_in_constant_memory(client, editor):
    import tracemalloc

    from headlines.models import fingerprint

    Headline.objects.bulk_create(
        [
            Headline(title=f"=Headline {n}", fingerprint=fingerprint(f"h{n}", None), title_key="k")
            for n in range(100_000)
        ],
        batch_size=5000,
    )
    client.force_login(editor)
    response = client.get(reverse("admin:headlines_headline_export"))
    assert isinstance(response, StreamingHttpResponse)
    tracemalloc.start()
    rows, first_row = 0, None
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
        if first_row is None and rows == 2:
            first_row = chunk
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows == 100_001
    assert b"'=Headline" in first_row  # formulas are escaped
    assert peak < 30 * 1024 * 1024  # a few chunks at a time, not 100,000 rows
