"""The watched inbox (newsroom.inbox, manage.py watch_inbox)."""

import json

import pytest
from django.core.management import call_command

from articles.models import Article, Dump
from newsroom.batches import batch_create
from newsroom.inbox import LEDGER, Inbox, inbox_state
from tests.test_batch_worker import BAD, desk_dump

pytestmark = pytest.mark.django_db


def test_files_are_imported_once_complete_and_moved_to_done_or_failed(tmp_path):
    inbox = Inbox(tmp_path)
    (tmp_path / "one.txt").write_bytes(desk_dump(1))
    (tmp_path / "prose.txt").write_bytes(BAD)
    assert inbox.poll() == []  # first sight: not yet known to be complete
    assert sorted(inbox.poll()) == [("one.txt", "done"), ("prose.txt", "failed")]
    assert (tmp_path / "done" / "one.txt").exists()
    assert (tmp_path / "failed" / "prose.txt").exists()
    note = (tmp_path / "failed" / "prose.txt.error").read_text()
    assert "line 1" in note and "not a page dump" in note
    assert not (tmp_path / "one.txt").exists() and not (tmp_path / "prose.txt").exists()
    assert Dump.objects.get(filename="one.txt").status == Dump.Status.IMPORTED
    assert Dump.objects.get(filename="prose.txt").status == Dump.Status.FAILED


def test_a_file_still_being_written_is_left_until_it_stops_growing(tmp_path):
    inbox = Inbox(tmp_path)
    data = desk_dump(2)
    path = tmp_path / "growing.txt"
    with open(path, "wb") as writer:
        writer.write(data[:100])
        writer.flush()
        assert inbox.poll() == []
        writer.write(data[100:300])
        writer.flush()
        assert inbox.poll() == []  # it grew since the last look
        writer.write(data[300:])
    assert inbox.poll() == []  # grew once more
    assert inbox.poll() == [("growing.txt", "done")]
    assert Article.objects.count() == 1 and Dump.objects.get().raw == data


def test_temporary_names_wait_for_their_rename(tmp_path):
    inbox = Inbox(tmp_path)
    (tmp_path / "three.txt.part").write_bytes(desk_dump(3))
    (tmp_path / ".four.txt").write_bytes(desk_dump(4))
    inbox.poll()
    assert inbox.poll() == [] and Dump.objects.count() == 0
    (tmp_path / "three.txt.part").rename(tmp_path / "three.txt")
    inbox.poll()
    assert inbox.poll() == [("three.txt", "done")]


def test_a_restart_never_imports_a_file_twice(tmp_path):
    inbox = Inbox(tmp_path)
    (tmp_path / "prose.txt").write_bytes(BAD)
    inbox.poll()
    inbox.poll()
    # The same failed bytes dropped again after a restart: the ledger moves them
    # to failed/ without another import (which would retry and re-store them).
    (tmp_path / "prose-again.txt").write_bytes(BAD)
    restarted = Inbox(tmp_path)
    restarted.poll()
    edits = Dump.objects.get().error
    Dump.objects.update(error="marker: not imported again")
    assert restarted.poll() == [("prose-again.txt", "failed")]
    assert Dump.objects.get().error == "marker: not imported again" != edits
    lines = (tmp_path / LEDGER).read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["status"] == "failed"
    assert (tmp_path / "failed" / "prose-again.txt.error").exists()


def test_watch_inbox_command_and_the_dashboard_state(tmp_path, settings, admin_client):
    (tmp_path / "five.txt").write_bytes(desk_dump(5))
    call_command("watch_inbox", str(tmp_path), "--interval", "0", "--polls", "2")
    assert (tmp_path / "done" / "five.txt").exists()
    state = inbox_state(str(tmp_path))
    assert state["done"] == 1 and state["failed"] == 0 and state["waiting"] == 0
    assert state["polled_at"] is not None
    settings.INBOX_DIR = str(tmp_path)
    batch_create(dumps=[("a.txt", desk_dump(6)), ("b.txt", desk_dump(7))], name="morning.zip")
    page = admin_client.get("/admin/").content.decode()
    assert "morning.zip</a>:\n          0 of 2 imported" in page
    assert f"<code>{tmp_path}</code>: 0 waiting, 1 done" in page
