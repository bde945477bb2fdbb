"""The watched inbox: dumps dropped into a folder, imported once each.

``manage.py watch_inbox DIR`` polls the folder. A file is taken only once it
is complete: its size and modification time are the same on two polls in a
row, and names that writers use while writing (``.name``, ``*.tmp``,
``*.part``, ``*~``...) are never taken, so "write under a temporary name, then
rename" works too. Each file is imported by the ingest service, then moved to
``done/`` or to ``failed/`` with a ``<name>.error`` note beside it.

A ledger (``.inbox-ledger.jsonl`` in the folder, one JSON line per file,
written and synced before the file is moved) survives restarts: a file found
again whose bytes are in the ledger is moved where the ledger says, not
imported again. (Bytes imported before are "already imported" for the ingest
service anyway; the ledger also keeps failed bytes from being retried forever.)
One watcher per folder.
"""

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from .ingest import dump_ingest

LEDGER = ".inbox-ledger.jsonl"
STATE = ".inbox-state.json"
TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")


def is_temporary(name):
    return name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES)


class Inbox:
    def __init__(self, directory, *, user=None):
        self.directory = Path(directory)
        self.done = self.directory / "done"
        self.failed = self.directory / "failed"
        for folder in (self.directory, self.done, self.failed):
            folder.mkdir(parents=True, exist_ok=True)
        self.user = user
        self.seen = {}  # name -> (size, mtime) at the last poll
        self.ledger = {}
        ledger = self.directory / LEDGER
        if ledger.exists():
            for line in ledger.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut by a crash: its file is simply looked at again
                self.ledger[entry["checksum"]] = entry

    def waiting(self):
        return sorted(
            path
            for path in self.directory.iterdir()
            if path.is_file() and not is_temporary(path.name)
        )

    def poll(self):
        """One look at the folder: import what is complete. Returns [(name, status)]."""
        handled = []
        current = {}
        for path in self.waiting():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # renamed or removed meanwhile
            current[path.name] = (stat.st_size, stat.st_mtime_ns)
            if self.seen.get(path.name) != current[path.name]:
                continue  # new or still growing: look again next time
            handled.append((path.name, self._take(path)))
            del current[path.name]
        self.seen = current
        self._write_state(handled)
        return handled

    def _take(self, path):
        data = path.read_bytes()
        checksum = hashlib.sha256(data).hexdigest()
        entry = self.ledger.get(checksum)
        if entry is None:
            result = dump_ingest(data=data, filename=path.name, user=self.user)
            failed = result.failed
            where = f"line {result.error_line}: " if result.error_line else ""
            entry = {
                "checksum": checksum,
                "name": path.name,
                "status": "failed" if failed else "done",
                "result": result.status,
                "error": f"{where}{result.error}" if failed else "",
                "dump": result.dump.pk if result.dump and result.dump.pk else None,
                "at": timezone.now().isoformat(),
            }
            self._record(entry)
        target = self._move(path, self.failed if entry["status"] == "failed" else self.done)
        if entry["status"] == "failed":
            note = target.with_name(target.name + ".error")
            note.write_text(f"{entry['name']}: {entry['error']}\n", encoding="utf-8")
        return entry["status"]

    def _record(self, entry):
        with open(self.directory / LEDGER, "a", encoding="utf-8") as ledger:
            ledger.write(json.dumps(entry, ensure_ascii=False) + "\n")
            ledger.flush()
            os.fsync(ledger.fileno())
        self.ledger[entry["checksum"]] = entry

    def _move(self, path, folder):
        target = folder / path.name
        if target.exists():
            target = folder / f"{path.stem}-{timezone.now():%Y%m%d%H%M%S%f}{path.suffix}"
        os.replace(path, target)
        return target

    def _write_state(self, handled):
        """What the dashboard shows: when the watcher last looked, and what it found."""
        state = {
            "polled_at": timezone.now().isoformat(),
            "waiting": len(self.seen),
            "handled": len(handled),
        }
        temporary = self.directory / (STATE + ".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        os.replace(temporary, self.directory / STATE)


def inbox_state(directory):
    """The inbox as the dashboard shows it, or None when no inbox is set up."""
    if not directory:
        return None
    folder = Path(directory)
    if not folder.is_dir():
        return {"directory": str(folder), "missing": True}
    try:
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    polled_at = state.get("polled_at")

    def count(sub):
        path = folder / sub if sub else folder
        if not path.is_dir():
            return 0
        return sum(
            1
            for item in path.iterdir()
            if item.is_file() and not is_temporary(item.name) and not item.name.endswith(".error")
        )

    return {
        "directory": str(folder),
        "polled_at": datetime.fromisoformat(polled_at) if polled_at else None,
        "waiting": count(""),
        "done": count("done"),
        "failed": count("failed"),
    }

