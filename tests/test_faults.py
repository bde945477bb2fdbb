"""Faults: an import killed mid-way, imports racing each other, the database gone.

These run real processes (``manage.py import_dump``, gunicorn) against
throwaway databases of their own, on the suite's database engine: SQLite files
in a temporary folder, or, when the suite runs on PostgreSQL, databases made on
the same server from one migrated template and dropped at the end. The
suite's own test database is never touched by them.
"""

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.urls import reverse

from articles.models import Dump, normalize_name
from headlines.models import Headline
from tests.conftest import ROOT, SAMPLE

ARTIFACTS = ROOT / "test-artifacts"
MANAGE = str(ROOT / "manage.py")
NEWEST = datetime(2017, 3, 28, 23, 59)
IS_POSTGRES = connection.vendor == "postgresql"

KILL_HEADLINES = 2000
KILL_SOURCES = 50
# Kills timed from the start of the process (before and around Django's start
# and the parse), then timed from the moment the import's transaction was seen
# writing (the window where a missing transaction would leave half a dump).
KILL_AFTER_SPAWN = (0.05, 0.35)
KILL_AFTER_WRITE = (0.0, 0.03, 0.1, 0.25, 0.5)


# -- dumps -----------------------------------------------------------------------------


def headline_dump(items):
    """A headline-only dump of ``(title, minutes before the newest, credit or None)``."""
    lines = ["Latest headlines", ""]
    ordered = sorted(items, key=lambda item: (item[1], item[0]))
    for position, (title, minutes, credit) in enumerate(ordered, start=1):
        moment = NEWEST - timedelta(minutes=minutes)
        credit = f" © {credit} 2017" if credit else ""
        lines += [
            f"  {position}. {title} - Gulf",
            f"    {moment:%m.%d / %H:%M}",
            f"    Summary of {title.lower()}, with ports and trade.{credit}",
        ]
    return ("\n".join(lines) + "\n").encode()


def write_dump(path, items):
    data = headline_dump(items)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


# -- throwaway databases ---------------------------------------------------------------


class Databases:
    """Databases for subprocesses, each a copy of one migrated template."""

    def __init__(self, folder):
        self.folder = folder
        self.made = []
        self._server_connection = None
        self.prefix = f"newsroom_faults_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        if IS_POSTGRES:
            params = settings.DATABASES["default"]
            self.server = {
                "host": params.get("HOST") or "127.0.0.1",
                "port": params.get("PORT") or 5432,
                "user": params.get("USER") or None,
                "password": params.get("PASSWORD") or None,
            }
        self.template = self.url(f"{self.prefix}_template")
        if IS_POSTGRES:
            self._admin(f'CREATE DATABASE "{self.name(self.template)}"')
            self.made.append(self.template)
        migrated = run_manage(self.template, folder, "migrate", "--noinput", "-v", "0")
        assert migrated.returncode == 0, migrated.stderr

    def url(self, name):
        if IS_POSTGRES:
            server = self.server
            user = server["user"] or ""
            password = f":{server['password']}" if server["password"] else ""
            return f"postgres://{user}{password}@{server['host']}:{server['port']}/{name}"
        return f"sqlite:///{self.folder / (name + '.sqlite3')}"

    @staticmethod
    def name(url):
        return url.rsplit("/", 1)[-1].removesuffix(".sqlite3")

    def fresh(self, label):
        """A new database holding the migrated template's rows."""
        url = self.url(f"{self.prefix}_{label}")
        if IS_POSTGRES:
            self._admin(f'CREATE DATABASE "{self.name(url)}" TEMPLATE "{self.name(self.template)}"')
            self.made.append(url)
        else:
            source = sqlite3.connect(self.path(self.template))
            target = sqlite3.connect(self.path(url))
            source.backup(target)
            source.close()
            target.close()
        return url

    def path(self, url):
        return url.removeprefix("sqlite:///")

    def connect(self, url):
        if IS_POSTGRES:
            import psycopg

            return psycopg.connect(dbname=self.name(url), autocommit=True, **self.server)
        return sqlite3.connect(self.path(url), timeout=20, isolation_level=None)

    def query(self, url, sql, params=()):
        conn = self.connect(url)
        try:
            if not IS_POSTGRES:
                sql = sql.replace("%s", "?")
            return list(conn.execute(sql, params).fetchall())
        finally:
            conn.close()

    def writing(self, url):
        """Is an import transaction open and writing to this database right now?"""
        if IS_POSTGRES:
            rows = self._admin(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = %s AND backend_xid IS NOT NULL",
                [self.name(url)],
            )
            return rows[0][0] > 0
        conn = sqlite3.connect(self.path(url), timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # the import holds this lock for its transaction
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                return True
            raise
        finally:
            conn.close()

    def settle(self, url, seconds=15):
        """Wait until no session of a killed client is left on the server (PostgreSQL)."""
        if not IS_POSTGRES:
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rows = self._admin(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.name(url)]
            )
            if rows[0][0] == 0:
                return
            time.sleep(0.02)
        raise AssertionError(f"sessions still open on {self.name(url)}")

    def _admin(self, sql, params=None):
        """A statement on the server's maintenance database (PostgreSQL), one connection."""
        import psycopg

        if self._server_connection is None:
            self._server_connection = psycopg.connect(
                dbname="postgres", autocommit=True, **self.server
            )
        cursor = self._server_connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    def drop_all(self):
        for url in reversed(self.made):
            self._admin(f'DROP DATABASE IF EXISTS "{self.name(url)}" WITH (FORCE)')
        self._server_connection.close()


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    made = Databases(tmp_path_factory.mktemp("fault-dbs"))
    yield made
    if IS_POSTGRES:
        made.drop_all()


def command_env(url, folder):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        CACHE_URL="locmem://",
        NEWSROOM_VAR_DIR=str(folder),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    return env


def run_manage(url, folder, *args, timeout=180):
    return subprocess.run(
        [sys.executable, MANAGE, *args],
        cwd=ROOT,
        env=command_env(url, folder),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def dump_state(databases, url, checksum):
    """What the database holds of one dump, and any duplicate among all rows."""
    q = databases.query
    dumps = q(url, "SELECT id, status FROM articles_dump WHERE checksum = %s", [checksum])
    dump_id, status = dumps[0] if dumps else (None, None)
    appearances = q(
        url, "SELECT count(*) FROM headlines_headlineappearance WHERE dump_id = %s", [dump_id]
    )[0][0]
    return {
        "status": status,
        "headlines": q(url, "SELECT count(*) FROM headlines_headline")[0][0],
        "appearances": appearances,
        "sources": q(url, "SELECT count(*) FROM articles_source")[0][0],
        "duplicates": duplicates(databases, url),
    }


def duplicates(databases, url):
    q = databases.query
    found = q(
        url,
        "SELECT count(*) FROM (SELECT fingerprint FROM headlines_headline "
        "GROUP BY fingerprint HAVING count(*) > 1) d",
    )[0][0]
    found += q(
        url,
        "SELECT count(*) FROM (SELECT title_key, published_at FROM headlines_headline "
        "GROUP BY title_key, published_at HAVING count(*) > 1) d",
    )[0][0]
    found += q(
        url,
        "SELECT count(*) FROM (SELECT dump_id, position, headline_id "
        "FROM headlines_headlineappearance GROUP BY dump_id, position, headline_id "
        "HAVING count(*) > 1) d",
    )[0][0]
    names = [normalize_name(name) for (name,) in q(url, "SELECT name FROM articles_source")]
    return found + len(names) - len(set(names))


# -- SIGKILL mid-import ------------------------------------------------------------------


def test_an_import_killed_at_any_moment_leaves_all_or_nothing(databases, tmp_path):
    items = [
        (f"Fault test story {n} on ports and trade", n, f"Fault Wire {n % KILL_SOURCES}")
        for n in range(KILL_HEADLINES)
    ]
    dump_path = tmp_path / "big.txt"
    checksum = write_dump(dump_path, items)
    whole = {
        "status": "imported",
        "headlines": KILL_HEADLINES,
        "appearances": KILL_HEADLINES,
        "sources": KILL_SOURCES,
        "duplicates": 0,
    }
    plan = [("spawn", delay) for delay in KILL_AFTER_SPAWN]
    plan += [("write", delay) for delay in KILL_AFTER_WRITE]
    outcomes = []
    for number, (trigger, delay) in enumerate(plan):
        url = databases.fresh(f"kill{number}")
        process = subprocess.Popen(
            [sys.executable, MANAGE, "import_dump", str(dump_path)],
            cwd=ROOT,
            env=command_env(url, tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started = time.monotonic()
        if trigger == "write":
            deadline = started + 60
            while not databases.writing(url) and process.poll() is None:
                assert time.monotonic() < deadline, "the import never started writing"
                time.sleep(0.002)
        time.sleep(delay)
        in_transaction = databases.writing(url)
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=30)
        at = time.monotonic() - started
        killed = process.returncode == -signal.SIGKILL
        databases.settle(url)
        state = dump_state(databases, url, checksum)
        nothing = state["status"] in (None, "failed") and state["headlines"] == 0
        nothing = nothing and state["sources"] == 0 and state["appearances"] == 0
        outcome = "whole" if state == whole else "nothing" if nothing else "PARTIAL"
        if "OK " in out:  # acknowledged to the operator: it must be there
            assert outcome == "whole", (out, state)
        outcomes.append((trigger, delay, round(at, 2), killed, in_transaction, outcome))
        assert outcome != "PARTIAL", (outcomes[-1], state, err[-2000:])

        rerun = run_manage(url, tmp_path, "import_dump", str(dump_path))
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert "Traceback" not in rerun.stderr
        assert dump_state(databases, url, checksum) == whole, rerun.stdout
    again = run_manage(url, tmp_path, "import_dump", str(dump_path))
    assert again.returncode == 0 and "SKIPPED" in again.stdout
    assert dump_state(databases, url, checksum) == whole

    kills = [outcome for outcome in outcomes if outcome[3]]
    inside = [outcome for outcome in kills if outcome[4]]
    partial = [outcome for outcome in outcomes if outcome[5] == "PARTIAL"]
    figures = (
        f"SIGKILL mid-import ({connection.vendor}, {KILL_HEADLINES} headlines): "
        f"{len(kills)} kills at {[o[2] for o in kills]} s, {len(inside)} inside the import "
        f"transaction; outcomes {[o[5] for o in outcomes]}; {len(partial)} partial imports; "
        f"{len(outcomes)} reruns complete, 0 duplicates"
    )
    print(figures)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"faults-sigkill-{connection.vendor}.txt").write_text(figures + "\n")
    assert len(kills) >= 5
    assert len(inside) >= 3, outcomes  # the kills did land in the dangerous window


# -- concurrent imports ------------------------------------------------------------------

# Each process sets Django up, then waits for a common start time, so the
# imports themselves (not the interpreters' start-up) overlap.
BARRIER = """
import os, sys, time
import django
django.setup()
from django.core.management import execute_from_command_line
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
execute_from_command_line(["manage.py", "import_dump", *sys.argv[2:]])
"""

SHARED_HEADLINES = 300
OWN_HEADLINES = 150
SHARED_SOURCES = 30
SPELLINGS = ("Race Wire {}", "RACE WIRE {}", "Race Wire {}.", "race-wire {}")
CONFLICT_WORDS = ("deadlock", "could not serialize", "database error", "conflict")


def overlapping_dumps(folder, count, race):
    """``count`` dumps that overlap, and what they hold: ``(dumps, titles, source names)``.

    ``race="headlines"``: the dumps share most headlines (uncredited) and no
    source, so the imports race on the headline rows. ``race="sources"``: they
    also share every source, each dump spelling it its own way, so they race on
    the sources and their aliases.
    """
    dumps, titles, names = [], set(), set()
    for number in range(count):
        spelling = SPELLINGS[number % len(SPELLINGS)]
        items = []
        for n in range(SHARED_HEADLINES):
            credit = spelling.format(n % SHARED_SOURCES) if race == "sources" else None
            items.append((f"Shared {race} race story {n}", 2 * n, credit))
        for n in range(OWN_HEADLINES):
            credit = (
                spelling.format(n % SHARED_SOURCES)
                if race == "sources"
                else f"Own Wire {number}-{n % 5}"
            )
            items.append((f"Own {race} story {n} of dump {number}", 2 * n + 1, credit))
        path = folder / f"{race}-{number}.txt"
        dumps.append((path, write_dump(path, items)))
        titles.update(title for title, _, _ in items)
        names.update(normalize_name(credit) for _, _, credit in items if credit)
    return dumps, titles, names


def import_at_once(databases, url, folder, dumps):
    """Run one import_dump process per dump, all starting together.

    Returns ``(most import transactions seen open at once, reported conflicts)``.
    """
    start_at = time.time() + 1.0 + 0.4 * len(dumps)
    running = [
        subprocess.Popen(
            [sys.executable, "-c", BARRIER, str(start_at), str(path)],
            cwd=ROOT,
            env=command_env(url, folder),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path, _ in dumps
    ]
    overlap = 0
    deadline = time.monotonic() + 180
    while any(process.poll() is None for process in running):
        assert time.monotonic() < deadline, "concurrent imports did not finish"
        rows = databases._admin(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL",
            [databases.name(url)],
        )
        overlap = max(overlap, rows[0][0])
        time.sleep(0.01)
    conflicts = []
    for process, (path, _) in zip(running, dumps, strict=True):
        out, err = process.communicate()
        assert "Traceback" not in err, err
        if process.returncode == 1:
            failed = [line for line in out.splitlines() if line.startswith("FAILED")]
            assert failed and all(
                any(word in line for word in CONFLICT_WORDS) for line in failed
            ), out + err
            conflicts += failed
            retry = run_manage(url, folder, "import_dump", str(path))  # as an operator would
            assert retry.returncode == 0, retry.stdout + retry.stderr
        else:
            assert process.returncode == 0, out + err
            assert f"OK      {path}" in out, out
    return overlap, conflicts


@pytest.mark.postgres
@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="concurrent imports need PostgreSQL: SQLite lets one writer in at a time "
    "(CI runs this in its PostgreSQL pass)",
)
@pytest.mark.parametrize("processes", [2, 4])
def test_processes_importing_overlapping_dumps_at_once_make_no_duplicates(
    databases, tmp_path, processes
):
    url = databases.fresh(f"race{processes}")
    titles, names, imported, figures = set(), set(), [], []
    for race in ("headlines", "sources"):
        dumps, race_titles, race_names = overlapping_dumps(tmp_path, processes, race)
        overlap, conflicts = import_at_once(databases, url, tmp_path, dumps)
        titles |= race_titles
        names |= race_names
        imported += dumps
        for _, checksum in imported:
            assert dump_state(databases, url, checksum)["status"] == "imported"
        state = dump_state(databases, url, checksum)
        assert state["duplicates"] == 0
        assert state["headlines"] == len(titles)
        assert state["sources"] == len(names)
        stored = databases.query(url, "SELECT count(*) FROM headlines_headlineappearance")
        assert stored[0][0] == len(imported) * (SHARED_HEADLINES + OWN_HEADLINES)
        assert overlap >= 2, f"the {race} imports never overlapped: the test proved nothing"
        figures.append(
            f"shared {race}: up to {overlap} import transactions open at once, "
            f"{len(conflicts)} reported conflicts (retried)"
        )
    summary = (
        f"concurrent imports, {processes} processes: {'; '.join(figures)}; "
        f"{len(imported)} dumps imported, 0 duplicate headlines, sources or appearances"
    )
    print(summary)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"faults-concurrent-{processes}.txt").write_text(summary + "\n")


# -- database unavailable ----------------------------------------------------------------


class DatabaseDown:
    """An execute wrapper: every query fails as if the server were gone.

    With ``after``, queries pass until one mentions that text: the database dies
    in the middle of the work. Rollbacks still pass: a server that loses a
    client rolls its transaction back itself, and here the client's rollback
    stands for that.
    """

    def __init__(self, after=None):
        self.after = after
        self.down = after is None
        self.refused = 0

    def __call__(self, execute, sql, params, many, context):
        if self.after is not None and self.after in sql:
            self.down = True
        if self.down and not sql.lstrip().upper().startswith(("ROLLBACK", "RELEASE")):
            self.refused += 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


@pytest.mark.django_db
def test_a_page_while_the_database_is_down_is_a_503_and_the_site_recovers(client):
    down = DatabaseDown()
    with connection.execute_wrapper(down):
        response = client.get(f"/?uncached={uuid.uuid4().hex}")
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    page = response.content.decode()
    assert "Temporarily unavailable" in page and "try again" in page
    assert down.refused >= 1  # the view did hit the "dead" database, the 503 page did not
    with connection.execute_wrapper(down):
        assert client.get("/headlines/?date=2017-03-28").status_code == 503
        assert client.get("/search/?q=iran").status_code == 503
    assert client.get(f"/?uncached={uuid.uuid4().hex}").status_code == 200


@pytest.mark.django_db
def test_the_database_dying_during_an_ingest_leaves_nothing_half_written(client, editor):
    client.force_login(editor)
    ingest = reverse("admin:articles_dump_ingest")
    upload = {"step": "preview", "text": SAMPLE.read_text(), "text_name": "sample.txt"}
    preview = client.post(ingest, upload).content.decode()
    stored = preview.split('name="dump" value="', 1)[1].split('"', 1)[0]
    confirm = {"step": "confirm", "dump": stored, "source": ""}
    # The server goes away once the import has written its dump, sources and headlines.
    down = DatabaseDown(after="headlines_headlineappearance")
    with connection.execute_wrapper(down):
        response = client.post(ingest, confirm)
    # The refused queries never reached the database (the wrapper raised first):
    # the test's own transaction is sound, Django only flagged it for rollback.
    transaction.set_rollback(False)
    assert down.refused >= 2  # the import's query, then the attempt to store it as failed
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.content.decode()
    # The preview stored the dump; the import left it waiting, as parsed.
    assert Headline.objects.count() == 0
    assert Dump.objects.get().status == Dump.Status.PARSED
    # The database is back: the same confirmation now imports everything.
    done = client.post(ingest, confirm)
    assert done.status_code == 200 and "Import finished" in done.content.decode()
    assert Headline.objects.count() == 20
    assert Dump.objects.get().status == Dump.Status.IMPORTED


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_real_server_answers_503_while_its_database_is_away_then_recovers(databases, tmp_path):
    """gunicorn with an unreachable database; then the database appears."""
    if IS_POSTGRES:
        url = databases.url(f"{databases.prefix}_late")  # no such database yet
    else:
        url = f"sqlite:///{tmp_path / 'not-yet' / 'late.sqlite3'}"  # no such folder yet
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "newsroom.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=command_env(url, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, headers, page = fetch(f"{base}/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        assert status == 503, page[:500]
        assert int(headers["Retry-After"]) > 0
        assert "Temporarily unavailable" in page
        assert fetch(f"{base}/headlines/")[0] == 503
        # The database comes (back): the next requests are served.
        if IS_POSTGRES:
            databases._admin(
                f'CREATE DATABASE "{databases.name(url)}" '
                f'TEMPLATE "{databases.name(databases.template)}"'
            )
            databases.made.append(url)
        else:
            Path(databases.path(url)).parent.mkdir()
            source = sqlite3.connect(databases.path(databases.template))
            target = sqlite3.connect(databases.path(url))
            source.backup(target)
            source.close()
            target.close()
        assert fetch(f"{base}/")[0] == 200
        assert fetch(f"{base}/headlines/")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize(
    "url",
    ["postgres://postgres@127.0.0.1:1/newsroom", "sqlite:////nonexistent-folder/newsroom.sqlite3"],
    ids=["postgres-refused", "sqlite-unopenable"],
)
def test_import_dump_with_the_database_unreachable_fails_in_one_clear_message(url, tmp_path):
    result = run_manage(url, tmp_path, "import_dump", str(SAMPLE), timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    first, *rest = result.stderr.strip().splitlines()
    assert "database unavailable" in first and SAMPLE.name in first, result.stderr
    # One message: at most the driver's own indented hint continues it.
    assert all(line.startswith((" ", "\t")) for line in rest), result.stderr
    assert "OK " not in result.stdout
