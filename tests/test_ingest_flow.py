"""The ingest flow stores each dump once: the preview stores it as parsed, the
confirm imports stored dumps by id and trusts nothing else from the client."""

import gc
import hashlib
import re
import time
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from articles.models import Dump, DumpEdit
from headlines.models import Headline
from newsroom import admin, ingest
from newsroom.admin import NOTES_SHOWN, annotate_lines
from newsroom.dumps import ParseWarning
from newsroom.ingest import clean_filename, dump_edit, dump_ingest

DUMP_ID = re.compile(r'name="dump" value="([^"]+)"')
PROSE = b"Plain prose.\n\nNo list at all.\n"


def sidebar(items, *, tag="Item", word="word", words=40):
    """A headline-list dump of `items` distinct headlines, ~380 bytes each in ASCII."""
    out = ["Latest headlines", ""]
    for n in range(1, items + 1):
        out.append(f"  {n}. {tag} {n}: the port of city {n} reopens - Gulf")
        out.append("    03.28 / 21:10")
        out.append("    " + " ".join(f"{word}{n % 97}" for _ in range(words)) + " © Gulf Wire 2017")
    return ("\n".join(out) + "\n").encode()


def warned(warnings):
    """A headline list with a line of stray prose in it for each warning (from line 7)."""
    head = "Latest headlines\n\n  1. A - Gulf\n    03.28 / 21:10\n"
    head += "  2. B - Gulf\n    03.28 / 21:10\n"
    stray = "".join(f"stray {n}\n" for n in range(warnings))
    return (head + stray + "  3. C - Gulf\n    03.28 / 21:00\n").encode()


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="text/plain")


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


def ingest_url():
    return reverse("admin:articles_dump_ingest")


def preview(client, *files, **fields):
    response = client.post(ingest_url(), {"step": "preview", "files": list(files), **fields})
    assert response.status_code == 200
    return response.content.decode(), DUMP_ID.findall(response.content.decode())


# -- store once, confirm by id ---------------------------------------------------------


@pytest.mark.django_db
def test_the_preview_stores_each_dump_once_and_the_confirm_imports_it_by_id(
    desk, editor, django_assert_max_num_queries
):
    first, second = sidebar(3, tag="One"), sidebar(2, tag="Two")
    with django_assert_max_num_queries(120):
        page, ids = preview(
            desk, upload("one.txt", first), upload("two.txt", second), captured_at="2017-03-30"
        )
    assert "Importing would" in page and "One 1: the port of city 1 reopens" in page
    assert 'name="payload"' not in page and len(ids) == 2
    stored = Dump.objects.order_by("pk")
    assert [(d.filename, d.status, bytes(d.raw)) for d in stored] == [
        ("one.txt", "parsed", first),
        ("two.txt", "parsed", second),
    ]
    dump = stored[0]
    assert dump.checksum == hashlib.sha256(first).hexdigest()
    assert dump.uploaded_by == editor and str(dump.captured_at) == "2017-03-30"
    assert Headline.objects.count() == 0

    # The same bytes again reuse their row.
    _, again = preview(desk, upload("one-again.txt", first))
    assert again == [str(dump.pk)] and Dump.objects.count() == 2

    done = desk.post(ingest_url(), {"step": "confirm", "dump": ids, "captured_at": "2017-03-30"})
    assert done.status_code == 200 and "Import finished" in done.content.decode()
    assert set(Dump.objects.values_list("status", flat=True)) == {"imported"}
    assert Headline.objects.count() == 5
    assert Headline.objects.filter(published_at__year=2017).count() == 5

    # Imported bytes are "already imported" at preview: nothing to confirm.
    page, ids = preview(desk, upload("one.txt", first))
    assert "already imported" in page and ids == []
    # A second confirm of the same ids (a double-click) imports nothing again.
    twice = desk.post(ingest_url(), {"step": "confirm", "dump": [dump.pk]})
    assert "already imported" in twice.content.decode()
    assert Headline.objects.count() == 5


@pytest.mark.django_db
def test_a_dump_that_does_not_parse_is_stored_as_failed_at_preview(desk):
    page, ids = preview(desk, upload("bad.txt", PROSE))
    dump = Dump.objects.get()
    assert dump.status == Dump.Status.FAILED and dump.error_line == 1
    assert "not a page dump" in page and "fix its text" in page and ids == [str(dump.pk)]


@pytest.mark.django_db
def test_a_forged_confirm_imports_nothing_new(desk, django_user_model):
    # The old flow's payload fields, with a name carrying CR, LF and NUL.
    forged = {
        "step": "confirm",
        "payload": "TGF0ZXN0IGhlYWRsaW5lcwoKICAxLiBBIC0gR3VsZgogICAgMDMuMjggLyAyMTowMAo=",
        "name": "evil\r\nSet-Cookie: x=1\x00.txt",
    }
    response = desk.post(ingest_url(), forged)
    assert response.status_code == 200 and "Nothing to import" in response.content.decode()
    assert Dump.objects.count() == 0 and Headline.objects.count() == 0

    assert desk.post(ingest_url(), {"step": "confirm", "dump": "1; DROP"}).status_code == 403
    missing = desk.post(ingest_url(), {"step": "confirm", "dump": "999"})
    assert "1 dump not imported" in missing.content.decode()

    # A user who may only ingest cannot import someone else's stored dump...
    _, ids = preview(desk, upload("one.txt", sidebar(2)))
    uploader = django_user_model.objects.create_user("up", password="x", is_staff=True)
    uploader.user_permissions.add(Permission.objects.get(codename="add_dump"))
    desk.force_login(uploader)
    other = desk.post(ingest_url(), {"step": "confirm", "dump": ids})
    assert "1 dump not imported" in other.content.decode()
    assert Dump.objects.get().status == Dump.Status.PARSED and Headline.objects.count() == 0
    # ...but may import what they previewed themselves.
    _, mine = preview(desk, upload("mine.txt", sidebar(1, tag="Mine")))
    desk.post(ingest_url(), {"step": "confirm", "dump": mine})
    assert Dump.objects.get(pk=mine[0]).status == Dump.Status.IMPORTED


@pytest.mark.django_db
def test_an_abandoned_preview_waits_on_the_dump_list_to_be_imported_or_deleted(desk):
    _, ids = preview(desk, upload("left.txt", sidebar(2)), upload("gone.txt", sidebar(1, tag="G")))
    left, gone = Dump.objects.get(pk=ids[0]), Dump.objects.get(pk=ids[1])
    changelist = reverse("admin:articles_dump_changelist")
    listed = desk.get(changelist, {"status": "parsed"}).content.decode()
    assert "parsed (not imported)" in listed and "left.txt" in listed

    desk.post(changelist, {"action": "reparse", "_selected_action": [left.pk]})
    left.refresh_from_db()
    assert left.status == Dump.Status.IMPORTED and Headline.objects.count() == 2
    assert "left.txt" not in desk.get(changelist, {"status": "parsed"}).content.decode()

    # An editor may delete a dump that made nothing; not one that was imported.
    delete = reverse("admin:articles_dump_delete", args=[gone.pk])
    assert desk.post(delete, {"post": "yes"}).status_code == 302
    assert not Dump.objects.filter(pk=gone.pk).exists()
    refused = desk.post(reverse("admin:articles_dump_delete", args=[left.pk]), {"post": "yes"})
    assert refused.status_code == 403 and Dump.objects.filter(pk=left.pk).exists()


# -- file names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("000.txt", "000.txt"),
        ("../../etc/passwd", "passwd"),
        ("C:\\dumps\\day 1.txt", "day 1.txt"),
        ("evil\r\nSet-Cookie: x\x00.txt", "evilSet-Cookie: x.txt"),
        ("\u202etxt.exe", "txt.exe"),
        ("🗞️", "🗞️"),
        ("الأخبار.txt", "الأخبار.txt"),
        ("???", "dump-0123456789ab.txt"),
        ("..", "dump-0123456789ab.txt"),
        ("", "dump-0123456789ab.txt"),
        ("\r\n\x00", "dump-0123456789ab.txt"),
        ("a" * 300 + ".txt", "a" * 196 + ".txt"),
    ],
)
def test_file_names_are_cleaned_once_with_a_fallback(given, stored):
    assert clean_filename(given, checksum="0123456789abcdef") == stored


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["???", "..", "🗞️", "a\r\nb\t.txt"])
def test_a_pasted_dump_with_any_name_previews_and_downloads(desk, name):
    text = sidebar(1).decode()
    response = desk.post(ingest_url(), {"step": "preview", "text": text, "text_name": name})
    assert response.status_code == 200 and "Importing would" in response.content.decode()
    dump = Dump.objects.get()
    assert dump.filename == clean_filename(name, checksum=dump.checksum)
    assert not set("\r\n\x00") & set(dump.filename) and dump.filename.strip(" .?")
    download = desk.get(reverse("admin:articles_dump_raw", args=[dump.pk]))
    assert download.status_code == 200 and download.content == text.strip().encode()
    assert download["Content-Disposition"].startswith("attachment; filename")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["???", "..", "🗞️", "dir/a\r\nb.txt", ""])
def test_the_raw_download_never_gives_a_bare_400(desk, name):
    # A row stored before names were cleaned at storage.
    dump = Dump.objects.create(raw=b"x", checksum="ab" * 32, filename=name)
    response = desk.get(reverse("admin:articles_dump_raw", args=[dump.pk]))
    assert response.status_code == 200 and response.content == b"x"
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    if name in ("???", "..", ""):
        assert header == f'attachment; filename="dump-{"ab" * 6}.txt"'


# -- line notes ------------------------------------------------------------------------


def test_line_notes_take_one_pass_however_many_warnings(monkeypatch):
    splits, line_break = [], admin.LINE_BREAK

    class CountingLineBreak:
        def split(self, text):
            splits.append(len(text))
            return line_break.split(text)

    def timed(warnings):
        text = warned(warnings).decode()
        result = SimpleNamespace(
            failed=False, warnings=[ParseWarning(7 + n, "w") for n in range(warnings)]
        )
        best = float("inf")
        gc.disable()
        try:
            for _ in range(7):
                start = time.perf_counter()
                notes = annotate_lines(result, text)
                best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
        return best, notes

    small, _ = timed(4_000)
    large, notes = timed(40_000)
    assert len(notes) == NOTES_SHOWN and notes.more == 40_000 - NOTES_SHOWN
    assert notes[0] == {"line": 7, "message": "w", "text": "stray 0"}
    # Linear is ~10x (the text is 10x longer too); a split per warning was ~100x.
    assert large <= 35 * max(small, 1e-4)

    monkeypatch.setattr(admin, "LINE_BREAK", CountingLineBreak())
    annotate_lines(SimpleNamespace(failed=False, warnings=[ParseWarning(7, "w")] * 20_000), "a")
    assert len(splits) == 1  # one split of the text, not one per warning


@pytest.mark.django_db
def test_a_dump_with_20000_warnings_previews_with_capped_notes(desk):
    page, _ = preview(desk, upload("warned.txt", warned(20_000)))
    assert "and 19800 more warnings" in page
    assert page.count("skipped text outside the list") == NOTES_SHOWN
    assert "<code>stray 199</code>" in page and "stray 200<" not in page
    dump = Dump.objects.get()
    assert len(dump.warnings) == 20_000
    detail = desk.get(reverse("admin:articles_dump_change", args=[dump.pk])).content.decode()
    assert "and 19,800 more warnings" in detail
    editor_page = desk.get(reverse("admin:articles_dump_edit", args=[dump.pk])).content.decode()
    assert "and 19800 more warnings" in editor_page


# -- the dump text editor --------------------------------------------------------------


def arabic_dump(megabytes):
    """An Arabic headline list of about `megabytes` MB of UTF-8 (2 bytes a letter;
    percent-encoded, each letter takes 6)."""
    summary = " ".join(["الأخبارالعاجلةمنالمنطقة"] * 30)
    out = ["آخر الأخبار", ""]
    for n in range(1, int(megabytes * 1_000_000 / 1_512) + 1):
        out.append(f"  {n}. عاجل {n}: ميناء المدينة يعود للعمل - Gulf")
        out.append("    03.28 / 21:10")
        out.append(f"    {summary} © Gulf Wire 2017")
    return ("\n".join(out) + "\n").encode()


@pytest.mark.django_db
def test_a_38_mb_arabic_dump_is_edited_and_saved(desk):
    data = arabic_dump(3.8)
    assert 3_700_000 < len(data) < 4_000_000
    dump = dump_ingest(data=data, filename="arabic.txt").dump
    edit_url = reverse("admin:articles_dump_edit", args=[dump.pk])
    page = desk.get(edit_url).content.decode()
    # Multipart: sent as is; form-encoded, each Arabic letter would be 6 bytes.
    assert 'enctype="multipart/form-data"' in page
    text = data.decode().replace("عاجل 1:", "عاجل واحد:") .replace("\n", "\r\n")
    saved = desk.post(edit_url, {"step": "save", "text": text})  # the test client: multipart
    assert saved.status_code == 302, saved.content.decode()[:2000]
    dump.refresh_from_db()
    assert dump.text == text.replace("\r\n", "\n") and DumpEdit.objects.filter(dump=dump).exists()
    assert Headline.objects.filter(title__startswith="عاجل واحد:").exists()


@pytest.mark.django_db
def test_an_edited_text_over_the_limit_gets_a_form_error_not_a_400(desk, settings):
    dump = dump_ingest(data=sidebar(2), filename="a.txt").dump
    edit_url = reverse("admin:articles_dump_edit", args=[dump.pk])
    settings.DUMP_MAX_BYTES = 100_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 100_000 + 1024 * 1024  # as settings.py derives it
    text = "x\r\n" * 50_001  # 100,002 bytes once newlines are LF, 150,003 as a browser sends it
    response = desk.post(edit_url, {"step": "save", "text": text})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The text is 100,002 bytes; a dump may be at most 100,000 bytes." in page
    dump.refresh_from_db()
    assert dump.text == "" and not DumpEdit.objects.exists()


def test_the_request_limit_covers_a_full_size_text_sent_by_a_browser(settings):
    from newsroom import settings as project

    # Every line break CRLF, the worst case, plus room for the other fields.
    assert project.DATA_UPLOAD_MAX_MEMORY_SIZE >= 2 * project.DUMP_MAX_BYTES + 64 * 1024
    # A morning's 300 dumps picked as files, not only as a zip.
    assert project.DATA_UPLOAD_MAX_NUMBER_FILES >= 300


# -- an editor's saved text is never lost ----------------------------------------------


@pytest.mark.django_db
def test_a_cron_retry_of_failed_bytes_parses_the_editors_saved_text(tmp_path, monkeypatch):
    dump = dump_ingest(data=PROSE, filename="bad.txt").dump
    assert dump.status == Dump.Status.FAILED
    fixed = sidebar(2, tag="Fixed").decode()
    # The editor's fix is saved, but its import fails (say, the database went away).
    with monkeypatch.context() as patch:
        patch.setattr(ingest, "_write_headlines", lambda *args: 1 / 0)
        assert dump_edit(dump=dump, text=fixed).failed
    dump.refresh_from_db()
    assert dump.status == Dump.Status.FAILED and dump.text == fixed

    path = tmp_path / "bad.txt"
    path.write_bytes(PROSE)
    call_command("import_dump", str(path), stdout=StringIO(), stderr=StringIO())
    dump.refresh_from_db()
    assert dump.text == fixed and dump.status == Dump.Status.IMPORTED
    assert Headline.objects.filter(title__startswith="Fixed").count() == 2


@pytest.mark.django_db
def test_a_preview_of_failed_bytes_shows_the_editors_text(desk):
    dump = dump_ingest(data=PROSE, filename="bad.txt").dump
    dump.text = sidebar(1, tag="Edited").decode()
    dump.save(update_fields=["text"])
    page, ids = preview(desk, upload("bad.txt", PROSE))
    assert ids == [str(dump.pk)] and "Edited 1: the port of city 1 reopens" in page
    dump.refresh_from_db()
    assert dump.status == Dump.Status.PARSED and dump.text


# -- done when: big dumps through the admin --------------------------------------------


@pytest.mark.django_db
def test_two_4_mb_dumps_uploaded_at_once_preview_confirm_and_import(desk):
    dumps = [sidebar(10_800, tag=tag) for tag in ("North", "South")]
    assert all(4_000_000 < len(data) < 5 * 1024 * 1024 for data in dumps)
    start = time.perf_counter()
    page, ids = preview(desk, upload("north.txt", dumps[0]), upload("south.txt", dumps[1]))
    previewed = time.perf_counter() - start
    assert len(ids) == 2 and page.count("Importing would") == 2
    done = desk.post(ingest_url(), {"step": "confirm", "dump": ids})
    assert done.status_code == 200
    assert Dump.objects.filter(status=Dump.Status.IMPORTED).count() == 2
    assert Headline.objects.count() == 21_600
    print(f"two 4 MB dumps: preview {previewed:.1f} s, total {time.perf_counter() - start:.1f} s")

