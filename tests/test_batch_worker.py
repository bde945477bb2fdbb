"""Batch ingest with a real worker process (manage.py worker) on the test database.

The worker is a subprocess: it sees what the test committed, so these tests use
``transactional_db`` and hand the test database to the worker via DATABASE_URL
(on SQLite the test database is a file, see settings). They run on SQLite and
on PostgreSQL alike.
"""

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from articles.models import Article, Batch, Dump
from headlines.models import Headline, HeadlineAppearance
from newsroom.batches import (
    batch_cancel,
    batch_create,
    batch_progress,
    batches_requeue_stale,
    batches_retry_failed,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADLINES = 3
BAD = b"Plain prose, not a dump.\n\nNo list at all.\n"


def desk_dump(number, headlines=HEADLINES):
    """A small dump in the format of docs/dump-format.md: one article, a few headlines."""
    title = f"Desk story number {number} on water and power talks"
    lines = [title, "", title, f"  1. {title}", "    Ministers meet on the grid…", "    Gulf", ""]
    for paragraph in range(3):
        lines += [
            f"Paragraph {paragraph} of story {number}: officials said the talks on water "
            "sharing and electricity would go on next week, with delegations from both sides.",
            "",
        ]
    for position in range(1, headlines + 1):
        lines += [
            f"  {position}. Headline {number}.{position} about the regional summit - Gulf",
            f"    03.{1 + number % 28:02d} / {10 + position:02d}:{number % 60:02d}",
            f"    Summary of headline {number}.{position}. © Gulf Wire 2017. All rights reserved.",
        ]
    return ("\n".join(lines) + "\n").encode()


def make_zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`manage.py worker` on the test database, started and stopped by the test."""

    def __init__(self):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "BATCH_STALE_SECONDS": "1",
            "DJANGO_CONN_MAX_AGE": "0",
        }
        self.process = None

    def start(self, *extra):
        command = [sys.executable, "manage.py", "worker", "--no-reload", "--no-startup-delay"]
        self.process = subprocess.Popen(
            [*command, "--interval", "0.1", "-v", "0", *extra],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
        )
        return self.process

    def run_all(self):
        """Work until the queue is empty, then exit (--batch)."""
        subprocess.run(
            [sys.executable, "manage.py", "worker", "--no-reload", "--no-startup-delay",
             "--batch", "-v", "0"],
            cwd=ROOT, env=self.env, check=True, timeout=120,
        )  # fmt: skip

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def worker(transactional_db):
    worker = Worker()
    yield worker
    worker.stop()


@pytest.fixture
def desk_client(client, transactional_db, django_user_model):
    from tests.conftest import editors_group

    user = django_user_model.objects.create_user("ed", password="pw-ed-12345", is_staff=True)
    user.groups.add(editors_group())
    client.force_login(user)
    return client


def wait_for(condition, timeout=180, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def statuses(batch):
    return {key: value for key, value in batch_progress(batch).items() if value}


def test_300_dumps_in_a_zip_answer_at_once_and_survive_a_killed_worker(desk_client, worker):
    archive = make_zip([(f"desk/{n:03d}.txt", desk_dump(n)) for n in range(300)])
    upload = SimpleUploadedFile("morning.zip", archive, content_type="application/zip")
    # The editor opens the ingest page, then uploads: the upload's whole request is
    # timed (wall clock, time.perf_counter) through the test client, multipart
    # encoding of the 300-dump zip included.
    assert desk_client.get(reverse("admin:articles_dump_ingest")).status_code == 200
    started = time.perf_counter()
    response = desk_client.post(
        reverse("admin:articles_dump_ingest"), {"step": "preview", "files": [upload]}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 302, response.content[:2000]
    print(f"upload of 300 dumps answered in {elapsed:.3f} s")
    assert elapsed < 1.0, f"the upload took {elapsed:.2f} s"
    batch = Batch.objects.get()
    assert response.url == reverse("admin:articles_batch_change", args=[batch.pk])
    assert Dump.objects.filter(batch=batch, status=Dump.Status.QUEUED).count() == 300
    assert set(Dump.objects.values_list("filename", flat=True)) == {
        f"{n:03d}.txt" for n in range(300)
    }
    page = desk_client.get(response.url).content.decode()
    assert 'data-count="total">300<' in page and 'data-count="remaining">300<' in page

    worker.start()
    wait_for(lambda: Dump.objects.filter(status=Dump.Status.IMPORTED).count() >= 40,
             what="40 imports")  # fmt: skip
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(10)
    left = set(Dump.objects.values_list("status", flat=True))
    assert left <= {Dump.Status.IMPORTED, Dump.Status.QUEUED, Dump.Status.RUNNING}, left
    assert Dump.objects.filter(status=Dump.Status.RUNNING).count() <= 1
    assert Dump.objects.filter(status=Dump.Status.QUEUED).exists(), "the kill came too late"

    time.sleep(1.1)  # the killed job is now older than BATCH_STALE_SECONDS
    worker.start()
    wait_for(lambda: batch_progress(batch)["done"], what="the batch to finish")
    worker.stop()

    assert statuses(batch) == {"total": 300, "imported": 300, "percent": 100, "done": True}
    # Imported once each: one article per dump, its headlines once, one appearance each.
    assert Article.objects.count() == 300
    assert Headline.objects.count() == 300 * HEADLINES
    assert HeadlineAppearance.objects.count() == 300 * HEADLINES
    figures = desk_client.get(reverse("admin:articles_batch_progress", args=[batch.pk])).json()
    assert figures["imported"] == Dump.objects.filter(batch=batch, status="imported").count()
    assert figures["total"] == 300 and figures["remaining"] == 0 and figures["failed"] == 0
    page = desk_client.get(response.url).content.decode()
    assert 'data-count="imported">300<' in page and "Finished." in page


def test_failed_dumps_show_message_and_line_link_to_the_editor_and_retry(desk_client, worker):
    batch = batch_create(
        dumps=[(f"good{n}.txt", desk_dump(n + 10)) for n in range(3)] + [("prose.txt", BAD)]
    )
    worker.run_all()
    assert statuses(batch) == {"total": 4, "imported": 3, "failed": 1, "percent": 100,
                               "done": True}  # fmt: skip
    bad = Dump.objects.get(filename="prose.txt")
    page = desk_client.get(reverse("admin:articles_batch_change", args=[batch.pk])).content
    page = page.decode()
    assert reverse("admin:articles_dump_edit", args=[bad.pk]) in page
    assert "not a page dump" in page and "<td>1</td>" in page
    figures = desk_client.get(reverse("admin:articles_batch_progress", args=[batch.pk])).json()
    assert figures["failed_list"][0]["line"] == 1
    assert "not a page dump" in figures["failed_list"][0]["error"]

    # The editor fixes the text, then retries the failed ones in one click.
    Dump.objects.filter(pk=bad.pk).update(text=desk_dump(99).decode())
    response = desk_client.post(
        reverse("admin:articles_batch_act", args=[batch.pk]), {"action": "retry"}
    )
    assert response.status_code == 302
    assert Dump.objects.get(pk=bad.pk).status == Dump.Status.QUEUED
    worker.run_all()
    assert statuses(batch)["imported"] == 4


def test_cancel_stops_what_has_not_started_and_the_worker_leaves_it(worker):
    batch = batch_create(dumps=[(f"{n}.txt", desk_dump(n)) for n in range(5)])
    assert batch_cancel(batch=batch) == 5
    worker.run_all()
    assert statuses(batch) == {"total": 5, "cancelled": 5, "percent": 100, "done": True}
    assert Article.objects.count() == 0
    assert batches_retry_failed(batch=batch) == 0


def test_a_dump_running_on_a_dead_worker_is_requeued_once(transactional_db):
    from django_tasks_db.models import DBTaskResult

    batch = batch_create(dumps=[("one.txt", desk_dump(1))])
    job = DBTaskResult.objects.get()
    job.claim("dead-worker")
    Dump.objects.update(status=Dump.Status.RUNNING)
    assert batches_requeue_stale(older_than=3600) == 0  # not stale yet
    DBTaskResult.objects.update(started_at=job.started_at - timedelta(days=1))
    assert batches_requeue_stale(older_than=60) == 1
    assert batches_requeue_stale(older_than=60) == 0
    assert Dump.objects.get().status == Dump.Status.QUEUED
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert batch_progress(batch)["remaining"] == 1


def test_bytes_sent_again_are_not_queued_twice(transactional_db):
    first = batch_create(dumps=[("a.txt", desk_dump(1)), ("b.txt", desk_dump(2))])
    second = batch_create(dumps=[("a-again.txt", desk_dump(1)), ("c.txt", desk_dump(3))])
    assert batch_progress(first)["total"] == 2
    assert batch_progress(second)["total"] == 1 and second.skipped == 1
    assert Dump.objects.count() == 3


# -- zips --------------------------------------------------------------------------


def post_zip(client, data, name="dumps.zip"):
    upload = SimpleUploadedFile(name, data, content_type="application/zip")
    return client.post(reverse("admin:articles_dump_ingest"), {"step": "preview",
                                                              "files": [upload]})  # fmt: skip


@pytest.mark.parametrize(
    "members, message",
    [
        ([("bomb.txt", b"\0" * (40 * 1024 * 1024))], "zip bomb"),
        ([("../../etc/evil.txt", desk_dump(1))], "a “..” path"),
        ([("/abs/evil.txt", desk_dump(1))], "an absolute path"),
        ([(f"empty{n}.txt", b"") for n in range(10_000)], "holds 10,000 files"),
        ([("photo.jpg", b"\xff\xd8\xff"), ("empty.txt", b"")], "holds no dumps"),
    ],
    ids=["bomb", "dotdot", "absolute", "10000-empty", "no-dumps"],
)
def test_unsafe_zips_are_refused_with_a_message_and_store_nothing(desk_client, members, message):
    response = post_zip(desk_client, make_zip(members))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Dump.objects.count() == 0 and Batch.objects.count() == 0


def test_a_zip_keeps_member_names_and_leaves_what_is_not_a_dump(desk_client):
    members = [("in/a.txt", desk_dump(1)), ("b.html", desk_dump(2)), ("__MACOSX/._a.txt", b"x"),
               ("logo.png", b"\x89PNG")]  # fmt: skip
    response = post_zip(desk_client, make_zip(members))
    assert response.status_code == 302
    assert sorted(Dump.objects.values_list("filename", flat=True)) == ["a.txt", "b.html"]
    page = desk_client.get(response.url).content.decode()
    assert "not dumps and were left" in page and "logo.png" in page


def test_small_uploads_keep_the_preview_and_dry_run_batches_wait(desk_client, worker, settings):
    response = desk_client.post(
        reverse("admin:articles_dump_ingest"),
        {"step": "preview", "files": [SimpleUploadedFile("one.txt", desk_dump(1))]},
    )
    assert response.status_code == 200 and "Confirm: import 1 dump" in response.content.decode()
    assert Batch.objects.count() == 0

    archive = make_zip([(f"{n}.txt", desk_dump(n + 100)) for n in range(3)] + [("x.txt", BAD)])
    upload = SimpleUploadedFile("check.zip", archive, content_type="application/zip")
    desk_client.post(
        reverse("admin:articles_dump_ingest"),
        {"step": "preview", "files": [upload], "dry_run": "on"},
    )
    batch = Batch.objects.get()
    assert batch.dry_run
    worker.run_all()
    assert statuses(batch) == {"total": 4, "parsed": 3, "failed": 1, "percent": 100,
                               "done": True}  # fmt: skip
    assert Article.objects.count() == 0
    desk_client.post(reverse("admin:articles_batch_act", args=[batch.pk]), {"action": "import"})
    worker.run_all()
    assert statuses(batch)["imported"] == 3 and Article.objects.count() == 3


def test_the_batch_page_needs_batch_permission(client, django_user_model, transactional_db):
    batch = batch_create(dumps=[("a.txt", desk_dump(1))])
    user = django_user_model.objects.create_user("nobody", password="pw-12345", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:articles_batch_progress", args=[batch.pk])).status_code == 403
    response = client.post(reverse("admin:articles_batch_act", args=[batch.pk]),
                           {"action": "cancel"})  # fmt: skip
    assert response.status_code == 403
    assert batch_progress(batch)["queued"] == 1


@pytest.mark.django_db
def test_batch_pages_take_a_fixed_number_of_queries(client, editor, django_assert_max_num_queries):
    dumps = [(f"{n}.txt", desk_dump(n)) for n in range(40)]
    batch = batch_create(dumps=dumps + [(f"bad{n}.txt", BAD + bytes([65 + n])) for n in range(5)])
    Dump.objects.filter(filename__startswith="bad").update(
        status=Dump.Status.FAILED, error="not a page dump", error_line=1
    )
    client.force_login(editor)
    for url in (
        reverse("admin:articles_batch_progress", args=[batch.pk]),
        reverse("admin:articles_batch_change", args=[batch.pk]),
        reverse("admin:articles_batch_changelist"),
    ):
        with django_assert_max_num_queries(12):
            response = client.get(url)
        assert response.status_code == 200
    page = response.content.decode()
    assert '<td class="field-failed">5</td>' in page
    assert '<td class="field-remaining">40</td>' in page
    figures = client.get(reverse("admin:articles_batch_progress", args=[batch.pk])).json()
    assert len(figures["failed_list"]) == 5 and figures["remaining"] == 40


def test_a_folder_of_300_files_picked_at_once_becomes_one_batch(desk_client):
    # The 6 a.m. folder selected in the file picker, not zipped first.
    files = [SimpleUploadedFile(f"{n:03d}.txt", desk_dump(n)) for n in range(300)]
    response = desk_client.post(
        reverse("admin:articles_dump_ingest"), {"step": "preview", "files": files}
    )
    assert response.status_code == 302
    batch = Batch.objects.get()
    assert batch.dumps.filter(status=Dump.Status.QUEUED).count() == 300
