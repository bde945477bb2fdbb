"""manage.py bench: import, parse and page throughput on a generated corpus, in one table.

A benchmark, not a test: nothing here can fail the suite, and a page that
errors is counted in the table, not raised. Everything runs in throwaway
databases (a temporary SQLite file, or a PostgreSQL database created and
dropped on the server of ``DATABASE_URL``), never in the one configured.

Measured in one run (see ``bench/README.md``):

1. import: generated dumps through the real ingest service, beside a raw
   ``bulk_create`` of the same Headline rows;
2. parse: ``parse_dump`` on one big generated dump, beside reading and
   decoding the same bytes, and on the same size of the worst shape known
   (the most parser work per byte: see ``worst_parse_bytes``);
3. pages under gunicorn (production settings, loopback only) with a bounded
   Python load generator, cache cold and warm, beside the same article HTML
   served as a static file by a tiny WSGI app under the same gunicorn;
4. SQL queries per page, counted in-process with the test client;
5. the article page's p99 at 10,000 and at ``--big-headlines`` headlines.

``--load-test`` runs something else instead: the article page under load
while ``import_dump`` writes 100 dumps into the same database (issue 10), a
check that exits 1 on any failed request or import (see ``LoadTest``).

Every subprocess started here is stopped in a ``finally`` block, by its PID.
"""

import http.client
import math
import os
import platform
import random
import re
import resource
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.management.base import BaseCommand, CommandError

BASE_DIR = Path(__file__).resolve().parents[3]
RESULTS_DIR = BASE_DIR / "bench" / "results"
SAMPLE_DUMP = BASE_DIR / "samples" / "000_8a9194f29d0be173.txt"  # the shared sample
LOOPBACK = "127.0.0.1"
CORPUS_SEED = 2017
SMALL_HEADLINES = 10_000
WARMUP_SECONDS = 1.0
START_TIMEOUT = 60.0
LOAD_TIMEOUT = 10.0  # seconds a response may take before it counts as an error
STOP_TIMEOUT = 10.0
SEARCH_PATH = "/search/?q=government"

# Issue 9's targets, as ratios on this machine.
WAGTAIL_RPS = (150, 185)  # a typical Django CMS page of the same size, 10 queries
UNCACHED_FACTOR = 3
CACHED_SHARE = 0.05
P99_GROWTH = 1.2
IMPORT_SHARE = 0.5

# The load test (issue 10): the article page under load while import_dump runs.
LOAD_HEADLINES = 20_000  # headlines in its corpus (--load-headlines)
LOAD_DUMP_HEADLINES = 20  # headlines per generated dump
LOAD_OVERLAP = 10  # of them shared with the next dump, which updates them
LOAD_STEP = timedelta(minutes=2)  # between two headlines of the dumps' pool
LOAD_LEAD = timedelta(hours=1)  # the pool starts after now: above every corpus headline
LOAD_CACHES = {"cold": "dummy://", "warm": "locmem://"}
IMPORT_TIMEOUT = 600.0  # seconds the import may run on after the load before it is stopped
IMPORT_SUMMARY = re.compile(
    r"^\s*dumps\s+(?P<imported>\d+) imported, (?P<already>\d+) already imported, "
    r"(?P<failed>\d+) failed\s*$",
    re.MULTILINE,
)
IMPORT_HEADLINES = re.compile(
    r"^\s*headlines\s+(?P<created>\d+)\s+(?P<updated>\d+)\s+(?P<unchanged>\d+)\s*$",
    re.MULTILINE,
)
LOCKED = "database is locked"

OUTLETS = [
    "Gulf Daily Wire",
    "Nile Post",
    "Levant Herald",
    "Maghreb Times",
    "Cedar Press Agency",
    "Desert Star",
    "Tigris Tribune",
    "Atlas Wire",
]
LABELS = ["Middle Easte", "North Africa", "Gulf", "Levant", "Europe", "Business", "Sport"]


# -- generated dumps ------------------------------------------------------------


def bench_dump_text(number, *, headlines=20, seed=CORPUS_SEED, year=2017):
    """One page dump in the format of dump-format.md: an article and a headline list.

    Titles are distinct across ``number``s; times run newest first as
    ``MM.DD / HH:MM`` and the first summary carries a © year, so the parser
    dates every headline without a warning.
    """
    from newsroom.management.commands.generate_corpus import sentence

    rng = random.Random(f"bench-dump|{seed}|{number}")
    title = f"{sentence(rng, 8)[:-1]} ({number})"
    lines = _dump_article_lines(rng, title)
    start = datetime(year, 12, 28, 23, 59) - timedelta(minutes=(number * headlines * 3) % 400_000)
    moment = max(start, datetime(year, 1, 2))
    for position in range(1, headlines + 1):
        label = rng.choice(LABELS)
        headline = f"{sentence(rng, rng.randint(7, 12))[:-1]} #{number}.{position}"
        lines += [f"  {position}. {headline} - {label}", f"    {moment:%m.%d / %H:%M}"]
        summary = " ".join(sentence(rng) for _ in range(2))
        if position == 1 or rng.random() < 0.5:
            summary += f" © {rng.choice(OUTLETS)} {year}. All Rights Reserved."
        else:
            summary = summary[:-1] + "…"
        lines += [f"    {chunk}" for chunk in textwrap.wrap(summary, 100)]
        moment = max(moment - timedelta(minutes=rng.randint(1, 5)), datetime(year, 1, 1))
    return "\n".join(lines) + "\n"


def _dump_article_lines(rng, title):
    """The article part of a dump: title, teaser with its region, 12 paragraphs."""
    from newsroom.management.commands.generate_corpus import sentence

    lines = [title, "", title, f"  1. {title}", f"    {sentence(rng, 24)[:-1]}…"]
    lines += ["    Middle Easte", ""]
    paragraphs = [" ".join(sentence(rng, rng.randint(12, 16)) for _ in range(5)) for _ in range(12)]
    paragraphs[-1] = paragraphs[-1][:-1] + "…"
    for paragraph in paragraphs:
        lines += [paragraph, ""]
    return lines


def load_dump_text(
    number, *, origin, headlines=LOAD_DUMP_HEADLINES, overlap=LOAD_OVERLAP, seed=CORPUS_SEED
):
    """Dump ``number`` of the load test: an article and ``headlines`` headlines of a pool.

    Pool headline ``i`` is published at ``origin + i × LOAD_STEP`` (``origin``
    naive, in TIME_ZONE). Dump ``n`` lists pool headlines ``n × step`` to
    ``n × step + headlines - 1`` newest first, ``step = headlines - overlap``:
    it shares ``overlap`` headlines with the dump before it and ``overlap``
    with the one after. A headline seen again carries a longer summary, so the
    later dump's import updates the row instead of leaving it unchanged. With
    ``origin`` after now, each import in file order puts its headlines at the
    top of the sidebar that every page reads. Articles are distinct drafts.
    """
    from newsroom.management.commands.generate_corpus import sentence

    if not 0 <= overlap < headlines:
        raise ValueError("overlap must be at least 0 and below headlines")
    rng = random.Random(f"bench-load-dump|{seed}|{number}")
    title = f"{sentence(rng, 8)[:-1]} (load {number})"
    lines = _dump_article_lines(rng, title)
    first = number * (headlines - overlap)
    newest_first = range(first + headlines - 1, first - 1, -1)
    for position, index in enumerate(newest_first, start=1):
        again = number > 0 and index - first < overlap  # also in the dump before
        lines += _pool_headline_lines(index, position, origin=origin, seed=seed, again=again)
    return "\n".join(lines) + "\n"


def _pool_headline_lines(index, position, *, origin, seed, again):
    from newsroom.management.commands.generate_corpus import sentence

    rng = random.Random(f"bench-load-headline|{seed}|{index}")
    moment = origin + LOAD_STEP * index
    label = rng.choice(LABELS)
    title = f"{sentence(rng, rng.randint(7, 12))[:-1]} {pool_marker(index)}"
    sentences = [sentence(rng) for _ in range(2)]
    credit = f"© {rng.choice(OUTLETS)} {moment.year}. All Rights Reserved."
    summary = " ".join((sentences if again else sentences[:1]) + [credit])
    lines = [f"  {position}. {title} - {label}", f"    {moment:%m.%d / %H:%M}"]
    return lines + [f"    {chunk}" for chunk in textwrap.wrap(summary, 100)]


def pool_marker(index):
    """How the title of pool headline ``index`` ends (unique among the pool's titles)."""
    return f"#L{index}"


def newest_pool_index(count, *, headlines=LOAD_DUMP_HEADLINES, overlap=LOAD_OVERLAP):
    """The pool index of the newest headline of ``count`` load-test dumps (the last one's)."""
    return (count - 1) * (headlines - overlap) + headlines - 1


def write_load_dumps(directory, *, count, origin, headlines=LOAD_DUMP_HEADLINES):
    """``count`` load-test dumps as ``directory/load-NNNN.txt``; import_dump reads them in order."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = directory / f"load-{number:04d}.txt"
        path.write_text(
            load_dump_text(number, origin=origin, headlines=headlines), encoding="utf-8"
        )
        paths.append(path)
    return paths


# -- the load generator ---------------------------------------------------------


class LoadError(Exception):
    """A response the load generator could not read."""


@dataclass
class LoadResult:
    """What one fixed-duration run against one URL gave."""

    path: str
    connections: int
    elapsed: float = 0.0
    latencies: list = field(default_factory=list)  # seconds, of 2xx responses, sorted
    errors: Counter = field(default_factory=Counter)  # status code or exception name -> n
    client_cpu: float = 0.0  # CPU seconds of this process / elapsed
    server_cpu: float | None = None  # CPU seconds of the server's processes / elapsed
    machine_cpu: float | None = None  # busy CPU seconds of the whole machine / elapsed
    body: bytes = b""  # the last 2xx body, for the static copy
    started: float = 0.0  # perf_counter() when the run began
    timeline: list | None = None  # (perf_counter, latency or None, error kind or None)

    @property
    def ok(self):
        return len(self.latencies)

    @property
    def error_count(self):
        return sum(self.errors.values())

    @property
    def rps(self):
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, share):
        if not self.latencies:
            return None
        rank = max(1, math.ceil(share * len(self.latencies)))
        return self.latencies[rank - 1]

    @property
    def p50(self):
        return self.percentile(0.50)

    @property
    def p99(self):
        return self.percentile(0.99)


class _Conn:
    """One client connection of the load generator, and its request in flight."""

    __slots__ = ("sock", "buffer", "began", "reused", "sent", "head", "wait_until")

    def __init__(self):
        self.sock = None
        self.buffer = bytearray()
        self.began = 0.0
        self.reused = False
        self.sent = 0
        self.head = None  # (status, body start, body length or None, chunked, close)
        self.wait_until = 0.0  # backoff after an error: no new request before this


def _parse_head(buffer):
    """``(status, body start, length, chunked, close)`` once the head is in ``buffer``."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    try:
        version, status = lines[0].split(" ", 2)[:2]
        status = int(status)
    except ValueError as error:
        raise LoadError(f"bad status line {lines[0][:40]!r}") from error
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    connection = headers.get("connection", "")
    close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
    chunked = "chunked" in headers.get("transfer-encoding", "")
    length = None if chunked or "content-length" not in headers else int(headers["content-length"])
    if length is None and not chunked:
        close = True  # the body runs to the end of the connection
    return status, end + 4, length, chunked, close


def _chunked_end(buffer, start):
    """Where a chunked body starting at ``start`` ends (after its trailers), or None yet."""
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        try:
            size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
        except ValueError as error:
            raise LoadError("bad chunk size") from error
        position = line_end + 2
        if size == 0:
            trailers_end = buffer.find(b"\r\n\r\n", position - 2)
            return None if trailers_end < 0 else trailers_end + 4
        position += size + 2
        if position > len(buffer):
            return None


def _unchunk(data):
    parts, position = [], 0
    while True:
        line_end = data.index(b"\r\n", position)
        size = int(data[position:line_end].split(b";")[0], 16)
        if size == 0:
            return b"".join(parts)
        parts.append(data[line_end + 2 : line_end + 2 + size])
        position = line_end + 4 + size


def request_bytes(path, port):
    return (
        f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nUser-Agent: newsroom-bench\r\n"
        "Accept: text/html\r\n\r\n"
    ).encode("ascii")


def load_run(
    port,
    path,
    *,
    duration,
    connections,
    timeout=LOAD_TIMEOUT,
    keep_body=False,
    host=LOOPBACK,
    timeline=False,
):
    """GET ``path`` from 127.0.0.1:``port`` over ``connections`` connections for ``duration`` s.

    One thread, non-blocking sockets and epoll (as wrk does per thread), so
    the client's own latency stays small. Bounded: no request starts after the
    deadline and none is waited for longer than ``timeout``. Keep-alive is used
    when the server offers it (gunicorn's sync workers close after each
    response). Only 2xx responses count as requests; anything else is an error,
    by status or by exception name. Latency runs from the first byte sent (or
    the connect) to the last byte of the body. ``timeline`` keeps every
    response's end time too, for :func:`load_window`.
    """
    if host != LOOPBACK:
        raise ValueError(f"the load generator only talks to {LOOPBACK}, not {host!r}")
    request = request_bytes(path, port)
    address = (host, port)
    result = LoadResult(path=path, connections=connections)
    stamps = result.timeline = [] if timeline else None
    selector = selectors.DefaultSelector()
    conns = [_Conn() for _ in range(connections)]
    cpu_before = _own_cpu()
    started = result.started = time.perf_counter()
    deadline = started + duration

    def drop(conn):
        if conn.sock is not None:
            selector.unregister(conn.sock)
            conn.sock.close()
            conn.sock = None
        conn.began = 0.0

    def fail(conn, kind, now):
        result.errors[kind] += 1
        if stamps is not None:
            stamps.append((now, None, kind))
        drop(conn)
        conn.wait_until = now + 0.02  # a refused connection must not spin

    def connect(conn):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect_ex(address)
        conn.sock, conn.reused, conn.sent = sock, False, 0
        conn.buffer.clear()
        selector.register(sock, selectors.EVENT_WRITE, conn)

    def begin(conn, now):
        conn.began, conn.head = now, None
        if conn.sock is None:
            connect(conn)
        else:
            conn.reused, conn.sent = True, 0
            conn.buffer.clear()
            selector.modify(conn.sock, selectors.EVENT_WRITE, conn)

    def writable(conn, now):
        if conn.sent == 0 and not conn.reused:
            error = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                fail(conn, os.strerror(error), now)
                return
        conn.sent += conn.sock.send(request[conn.sent :])
        if conn.sent == len(request):
            selector.modify(conn.sock, selectors.EVENT_READ, conn)

    def readable(conn, now):
        chunk = conn.sock.recv(262_144)
        if chunk:
            conn.buffer += chunk
        elif conn.head is None and not conn.buffer and conn.reused:
            began = conn.began  # the server closed an idle keep-alive: try again at once
            drop(conn)
            connect(conn)
            conn.began = began
            return
        elif conn.head is None or conn.head[2] is not None or conn.head[3]:
            fail(conn, "closed mid-response", now)
            return
        if conn.head is None:
            conn.head = _parse_head(conn.buffer)
            if conn.head is None:
                return
        status, start, length, chunked, close = conn.head
        if chunked:
            end = _chunked_end(conn.buffer, start)
        elif length is not None:
            end = start + length if len(conn.buffer) >= start + length else None
        else:
            end = len(conn.buffer) if not chunk else None
        if end is None:
            return
        if 200 <= status < 300:
            result.latencies.append(now - conn.began)
            if stamps is not None:
                stamps.append((now, now - conn.began, None))
            if keep_body:
                body = bytes(conn.buffer[start:end])
                result.body = _unchunk(body) if chunked else body
        else:
            result.errors[str(status)] += 1
            if stamps is not None:
                stamps.append((now, None, str(status)))
        conn.began = 0.0
        if close:
            drop(conn)
        else:
            conn.buffer.clear()
            selector.modify(conn.sock, selectors.EVENT_READ, conn)  # idle until reused

    try:
        while True:
            now = time.perf_counter()
            busy = False
            for conn in conns:
                if conn.began:
                    if now - conn.began > timeout:
                        fail(conn, "timeout", now)
                    else:
                        busy = True
                        continue
                if now < deadline and now >= conn.wait_until:
                    begin(conn, now)
                    busy = True
            if not busy and now >= deadline:
                break
            for key, _ in selector.select(timeout=0.02):
                conn = key.data
                now = time.perf_counter()
                try:
                    if conn.began == 0.0:  # an idle keep-alive connection closed or spoke
                        drop(conn)
                    elif conn.head is None and conn.sent < len(request):
                        writable(conn, now)
                    else:
                        readable(conn, now)
                except (OSError, LoadError) as error:
                    fail(conn, type(error).__name__, now)
    finally:
        for conn in conns:
            drop(conn)
        selector.close()
    result.elapsed = time.perf_counter() - started
    result.client_cpu = (_own_cpu() - cpu_before) / result.elapsed
    result.latencies.sort()
    return result


def load_window(result, start, end):
    """The part of a ``timeline`` run whose responses ended between ``start`` and ``end``."""
    part = LoadResult(path=result.path, connections=result.connections)
    part.started, part.elapsed = start, max(end - start, 1e-9)
    for moment, latency, kind in result.timeline or ():
        if start <= moment <= end:
            if kind is None:
                part.latencies.append(latency)
            else:
                part.errors[kind] += 1
    part.latencies.sort()
    return part


def http_get(port, path, *, timeout=5.0):
    """One GET on 127.0.0.1: ``(status, body)``; OSError when nothing answers."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy():
    """Busy CPU seconds of the whole machine since boot, all cores (Linux); None elsewhere."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    values = [int(value) for value in first[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu(root_pid):
    """CPU seconds used so far by ``root_pid`` and its children (Linux /proc); None elsewhere."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        if pid == root_pid or int(fields[1]) == root_pid:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


# -- servers --------------------------------------------------------------------


class ServerError(Exception):
    """A server subprocess did not start."""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def stop_process(process, timeout=STOP_TIMEOUT):
    """Terminate ``process`` by its PID, wait, and kill its own process group on a timeout."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # its session: gunicorn and its workers
        except OSError:
            process.kill()
        process.wait(timeout=timeout)


def gunicorn_command():
    script = Path(sys.executable).parent / "gunicorn"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]


@contextmanager
def gunicorn(app, *, env, workers, log_path, log=None):
    """Run ``gunicorn app`` on a free loopback port; yield ``(port, pid)``; always stop it."""
    port = free_port()
    command = gunicorn_command() + [
        app,
        "--bind",
        f"{LOOPBACK}:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "5",
        "--timeout",
        "60",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log_path),
    ]
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(process, port, log_path)
        if log:
            log(f"  gunicorn {app} pid {process.pid} on {LOOPBACK}:{port}, {workers} workers")
        yield port, process.pid
    finally:
        stop_process(process)


def wait_until_serving(process, port, log_path, timeout=START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = Path(log_path).read_text(errors="replace")[-2000:]
            raise ServerError(f"exited with status {process.returncode}: {tail.strip()}")
        try:
            # Any answer will do; a slow first page is waited for, not asked again.
            http_get(port, "/", timeout=max(1.0, deadline - time.monotonic()))
            return
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    raise ServerError(f"not serving on port {port} after {timeout:.0f} s")


def static_app(environ, start_response):
    """A WSGI app that serves one file's bytes: the machine's ceiling for a page.

    ``gunicorn newsroom.management.commands.bench:static_app`` with
    ``BENCH_STATIC_FILE`` naming the file. The file is read once per worker.
    """
    body = _static_body()
    start_response(
        "200 OK",
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


_STATIC = {}


def _static_body():
    if "body" not in _STATIC:
        _STATIC["body"] = Path(os.environ["BENCH_STATIC_FILE"]).read_bytes()
    return _STATIC["body"]


# -- throwaway databases --------------------------------------------------------


def _switch_database(name):
    from django.conf import settings
    from django.db import connection

    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


@contextmanager
def throwaway_database(tmp, label, log=None):
    """Point the default connection at a new, migrated database; yield its DATABASE_URL.

    SQLite: a file in ``tmp``. PostgreSQL: a database created on the server of
    ``DATABASE_URL`` and dropped afterwards. The configured database is never
    touched.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection

    original = connection.settings_dict["NAME"]
    vendor = connection.vendor
    if vendor == "sqlite":
        path = Path(tmp) / f"{label}.sqlite3"
        name, url = str(path), f"sqlite:///{path}"
    elif vendor == "postgresql":
        name = f"newsroom_bench_{label}_{os.getpid()}_{secrets.token_hex(3)}"
        parts = urlsplit(os.environ["DATABASE_URL"])
        url = urlunsplit(parts._replace(path=f"/{name}"))
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    else:
        raise CommandError(f"bench supports SQLite and PostgreSQL, not {vendor}")
    started = time.monotonic()
    try:
        _switch_database(name)
        call_command("migrate", verbosity=0, interactive=False)
        ContentType.objects.clear_cache()
        if log:
            log(f"  database {label}: migrated in {time.monotonic() - started:.1f} s")
        yield url
    finally:
        _switch_database(original)
        ContentType.objects.clear_cache()
        if vendor == "postgresql":
            force = " WITH (FORCE)" if connection.pg_version >= 130000 else ""
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"{force}')
            connection.close()
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(name + suffix).unlink(missing_ok=True)


def database_version():
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def settle():
    """Do now what PostgreSQL's autovacuum would do after a bulk load, not during a measurement.

    VACUUM ANALYZE gives the planner statistics and the visibility map that a
    database in service has; left to autovacuum it runs while pages are loaded.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


class _Throttled:
    """An ``out`` for corpus_generate that prints at most one line every few seconds."""

    def __init__(self, log, every=30.0):
        self.log, self.every, self.last = log, every, time.monotonic()

    def write(self, message):
        if time.monotonic() - self.last >= self.every:
            self.log(f"  {message}")
            self.last = time.monotonic()


def build_corpus(*, articles, headlines, sources=200, log=None):
    from newsroom.management.commands.generate_corpus import corpus_generate

    started = time.monotonic()
    out = _Throttled(log) if log else None
    corpus_generate(
        articles=articles, headlines=headlines, sources=sources, seed=CORPUS_SEED, out=out
    )
    settle()
    seconds = time.monotonic() - started
    if log:
        log(f"  corpus: {articles:,} articles, {headlines:,} headlines in {seconds:.1f} s")
    return seconds


def live_article_path():
    from articles.models import Article

    slug = (
        Article.objects.live()
        .order_by("-published_at", "-pk")
        .values_list("slug", flat=True)
        .first()
    )
    return f"/articles/{slug or f'corpus-{CORPUS_SEED}-0'}/"


# -- measurements in-process ----------------------------------------------------


@dataclass
class Timed:
    count: int  # dumps, or runs
    units: int  # headlines, or bytes
    seconds: float
    per_item: list = field(default_factory=list)  # seconds per dump
    failures: int = 0

    def rate(self, what="units"):
        return (self.units if what == "units" else self.count) / self.seconds


def _headline_rows(parsed_dumps, zone):
    """Headline objects with fingerprints for every parsed headline, one list per dump."""
    from django.utils import timezone

    from headlines.models import Headline, fingerprint, title_key

    batches = []
    for parsed in parsed_dumps:
        rows = []
        for item in parsed.headlines:
            published = timezone.make_aware(item.published_at, zone) if item.published_at else None
            key = fingerprint(item.title, published)
            rows.append(
                Headline(
                    title=item.title[:500],
                    title_key=title_key(item.title),
                    fingerprint=key,
                    summary=item.summary or "",
                    summary_truncated=item.summary_truncated,
                    published_at=published,
                    time_label=item.time_label or "",
                    region_label=item.region_label or "",
                    credit=item.credit or "",
                )
            )
        batches.append(rows)
    return batches


def measure_import(*, dumps, per_dump, log=None):
    """Ingest ``dumps`` generated dumps; bulk_create the same Headline rows raw.

    Returns ``{"ingest": Timed, "raw": Timed, "raw_batch": Timed}``. The raw
    writes run first, each on empty tables (their rows are deleted after), one
    transaction per dump like the ingest, then all in one batch.
    """
    from django.db import transaction
    from django.utils import timezone

    from headlines.models import Headline
    from newsroom.dumps import parse_dump
    from newsroom.ingest import Status, dump_ingest

    texts = [bench_dump_text(n, headlines=per_dump) for n in range(dumps + 1)]
    warmup, texts = texts[0], texts[1:]
    zone = timezone.get_default_timezone()
    parsed = [parse_dump(text) for text in texts]
    total = sum(len(p.headlines) for p in parsed)
    dump_ingest(data=warmup.encode(), filename="bench-warmup.txt")  # first-use costs
    Headline.objects.all().delete()
    results = {}

    batches = _headline_rows(parsed, zone)
    times = []
    started = time.perf_counter()
    for rows in batches:
        begin = time.perf_counter()
        with transaction.atomic():
            Headline.objects.bulk_create(rows)
        times.append(time.perf_counter() - begin)
    results["raw"] = Timed(len(batches), total, time.perf_counter() - started, times)
    Headline.objects.all().delete()

    rows = [row for batch in _headline_rows(parsed, zone) for row in batch]
    started = time.perf_counter()
    with transaction.atomic():
        Headline.objects.bulk_create(rows)
    results["raw_batch"] = Timed(1, total, time.perf_counter() - started)
    Headline.objects.all().delete()

    times, failures, headlines = [], 0, 0
    started = time.perf_counter()
    for number, text in enumerate(texts, start=1):
        begin = time.perf_counter()
        result = dump_ingest(data=text.encode(), filename=f"bench-{number:04d}.txt")
        times.append(time.perf_counter() - begin)
        if result.status != Status.IMPORTED:
            failures += 1
            if log:
                log(f"  ingest of dump {number}: {result.status} {result.error}")
        tally = result.headlines
        headlines += tally.created + tally.updated + tally.unchanged
    results["ingest"] = Timed(len(texts), headlines, time.perf_counter() - started, times, failures)
    if log:
        for name, timed in results.items():
            log(f"  {name}: {timed.rate():,.0f} headlines/s")
    return results


def _repeat(function, *, seconds=1.0, at_least=3):
    """Median wall time of ``function()`` over at least ``at_least`` runs and ``seconds``."""
    times = []
    started = time.perf_counter()
    while len(times) < at_least or time.perf_counter() - started < seconds:
        begin = time.perf_counter()
        function()
        times.append(time.perf_counter() - begin)
    times.sort()
    return times[len(times) // 2], len(times)


def worst_parse_bytes(size):
    """About ``size`` bytes of the slowest dump per byte known: headlines as short as they go.

    Of the adversarial shapes of tests/test_parser_linear.py (blank runs,
    repeated link remains, long lines, ...), all linear, this one does the
    most work per byte: a headline, its time line and a date every 22-29 bytes.
    """
    parts, total = [], 0
    while total < size:
        parts.append(f"  {len(parts) + 1}. T\n    03.28 / 21:10\n")
        total += len(parts[-1])
    return "".join(parts).encode()


def measure_parse(tmp, *, headlines, seconds=1.0):
    """MB/s of parse_dump on one big dump file, of reading and decoding it alone, and
    of parse_dump on as many bytes of the worst shape known."""
    from newsroom.dumps import parse_dump

    path = Path(tmp) / "big-dump.txt"
    path.write_text(bench_dump_text(0, headlines=headlines), encoding="utf-8")
    size = path.stat().st_size
    parsed = parse_dump(path.read_bytes())
    parse_time, parse_runs = _repeat(lambda: parse_dump(path.read_bytes()), seconds=seconds)
    read_time, read_runs = _repeat(
        lambda: path.read_bytes().decode("utf-8"), seconds=seconds, at_least=20
    )
    worst = worst_parse_bytes(size)
    worst_time, worst_runs = _repeat(lambda: parse_dump(worst), seconds=seconds)
    sample = SAMPLE_DUMP.read_bytes()
    sample_time, sample_runs = _repeat(lambda: parse_dump(sample), seconds=seconds, at_least=20)
    # The general-capture path (dump-format.md, "Captures of other pages") on a page as long.
    capture = bench_capture_text(paragraphs=max(20, headlines // 4)).encode("utf-8")
    read_capture = parse_dump(capture)
    capture_time, capture_runs = _repeat(lambda: parse_dump(capture), seconds=seconds)
    return {
        "parse": Timed(parse_runs, size, parse_time, failures=len(parsed.warnings)),
        "read": Timed(read_runs, size, read_time),
        "worst": Timed(worst_runs, len(worst), worst_time),
        "sample": Timed(sample_runs, len(sample), sample_time),
        "headlines": len(parsed.headlines),
        "capture": Timed(
            capture_runs,
            len(capture),
            capture_time,
            failures=0 if read_capture.layout == "capture" and read_capture.article else 1,
        ),
    }


def bench_capture_text(*, paragraphs):
    """A page of another outlet as w3m prints it: menu, headline, byline, date, body, a list."""
    menu = "\n".join(f"  • Section {number}" for number in range(40))
    body = "\n\n".join(
        f"Paragraph {number} says what the council decided about the old bridge, and why the "
        "engineers now think that the repairs will take longer than they had said at first."
        for number in range(paragraphs)
    )
    related = "\n".join(f"  • Another story on the same subject, number {n}" for n in range(20))
    return (
        f"{menu}\n\nCouncil closes the old bridge for repairs\n\nBy Bench Writer\n"
        f"28 March 2017\n\n{body}\n\nRelated\n\n{related}\n"
    )


def count_queries(paths):
    """``{path: (status, queries uncached, status, queries cached)}`` with the test client."""
    import logging

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    # Plain static storage: the count must not depend on a collected manifest.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    def counted(cache_backend):
        caches = {"default": {"BACKEND": cache_backend, "LOCATION": "bench-queries"}}
        found = {}
        with override_settings(
            CACHES=caches,
            STORAGES=storages,
            ALLOWED_HOSTS=["testserver"],
            SECURE_SSL_REDIRECT=False,
        ):
            client = Client(raise_request_exception=False)
            for path in paths:
                client.get(path)  # first-use costs; fills the cache when there is one
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(path)
                found[path] = (response.status_code, len(queries))
        return found

    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.CRITICAL)  # a failing page is a number here, not a trace
    try:
        cold = counted("django.core.cache.backends.dummy.DummyCache")
        warm = counted("django.core.cache.backends.locmem.LocMemCache")
    finally:
        request_logger.setLevel(level)
    return {path: cold[path] + warm[path] for path in paths}


# -- the run --------------------------------------------------------------------


def _ms(seconds):
    return "—" if seconds is None else f"{seconds * 1000:,.1f} ms"


def _rate(value, unit):
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"


def _percent(value):
    return f"{value * 100:,.0f} %" if value >= 0.1 else f"{value * 100:,.1f} %"


def _errors(result):
    if not result.errors:
        return "0"
    kinds = ", ".join(f"{kind}×{n:,}" for kind, n in result.errors.most_common(3))
    return f"{result.error_count:,} ({kinds})"


def _verdict(met):
    return "**met**" if met else "**not met**"


@dataclass
class Row:
    measurement: str
    size: str = ""
    throughput: str = ""
    p50: str = ""
    p99: str = ""
    errors: str = ""
    queries: str = ""
    cpu: str = ""
    ratio: str = ""
    target: str = ""


HEADERS = (
    "measurement",
    "size",
    "throughput",
    "p50",
    "p99",
    "errors",
    "SQL / page",
    "CPU server + client / machine",
    "ratio",
    "target",
)


def markdown_table(rows):
    values = [
        (
            row.measurement,
            row.size,
            row.throughput,
            row.p50,
            row.p99,
            row.errors,
            row.queries,
            row.cpu,
            row.ratio,
            row.target,
        )
        for row in rows
    ]
    return markdown_lines(HEADERS, values)


def markdown_lines(headers, rows):
    """A Markdown table of ``headers`` and ``rows`` (tuples of values, one per header)."""

    def cell(text):
        return str(text).replace("|", "\\|").replace("\n", " ") or " "

    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    for values in rows:
        lines.append("| " + " | ".join(cell(value) for value in values) + " |")
    return "\n".join(lines)


class Bench:
    """One benchmark run: measurements first, then the table (ratios need them all)."""

    def __init__(self, *, options, log):
        self.o = options
        self.log = log
        self.notes = []
        self.facts = {}
        self.pages = {}  # (stage, cache, page) -> LoadResult
        self.queries = {}
        self.static = None
        self.imports = None
        self.parse = None
        self.corpus_seconds = {}

    # - stages -

    def run(self):
        self.facts = self.machine_facts()
        with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as tmpdir:
            self.tmp = Path(tmpdir)
            self.step("import through the ingest service, and raw bulk_create")
            with throwaway_database(self.tmp, "import", self.log):
                self.facts["database"] = database_version()
                self.imports = measure_import(
                    dumps=self.o["dumps"], per_dump=self.o["dump_headlines"], log=self.log
                )
            self.step(f"parse one dump of {self.o['parse_headlines']:,} headlines")
            self.parse = measure_parse(self.tmp, headlines=self.o["parse_headlines"])
            self.log(
                f"  parse: {self.parse['parse'].rate() / 1e6:,.2f} MB/s, worst shape "
                f"{self.parse['worst'].rate() / 1e6:,.2f} MB/s"
            )
            self.log(f"  capture: {self.parse['capture'].rate() / 1e6:,.2f} MB/s")
            self.collectstatic()
            self.site_stage()
            small = self.small_size()
            if small != self.o["headlines"]:
                self.article_stage("small", small)
            if not self.o["skip_big"]:
                self.article_stage("big", self.o["big_headlines"])
        return self.document()

    def step(self, message):
        self.log(f"== {message}")

    def small_size(self):
        return min(SMALL_HEADLINES, self.o["headlines"])

    def server_env(self, database_url, cache_url):
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="newsroom_bench_settings",
            PYTHONPATH=os.pathsep.join([str(self.tmp), str(BASE_DIR)]),
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS=f"{LOOPBACK},localhost",
            DJANGO_SSL_REDIRECT="0",
            DATABASE_URL=database_url,
            CACHE_URL=cache_url,
            NEWSROOM_VAR_DIR=str(self.tmp / "var"),
            LOG_LEVEL="WARNING",
        )
        return env

    def collectstatic(self):
        """Production static files into a temporary STATIC_ROOT, through a settings shim.

        The settings read STATIC_ROOT from no variable, so a module in the temp
        dir imports them and sets it; gunicorn runs with the same module.
        """
        root = self.tmp / "static"
        (self.tmp / "newsroom_bench_settings.py").write_text(
            f"from newsroom.settings import *  # noqa: F403\n\nSTATIC_ROOT = {str(root)!r}\n"
        )
        self.step("collectstatic into a temporary STATIC_ROOT")
        started = time.monotonic()
        env = self.server_env(f"sqlite:///{self.tmp / 'unused.sqlite3'}", "dummy://")
        done = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode:
            self.notes.append("collectstatic failed: pages may error")
            self.log(f"  collectstatic failed: {done.stderr.strip()[-1000:]}")
        else:
            self.log(f"  collected in {time.monotonic() - started:.1f} s")
        return root

    def measure(self, port, pid, path, *, keep_body=False):
        """A warm-up, then the measured run; server CPU from /proc."""
        load_run(port, path, duration=WARMUP_SECONDS, connections=self.o["connections"])
        before, machine_before = process_tree_cpu(pid), machine_busy()
        result = load_run(
            port,
            path,
            duration=self.o["duration"],
            connections=self.o["connections"],
            keep_body=keep_body,
        )
        after, machine_after = process_tree_cpu(pid), machine_busy()
        if before is not None and after is not None:
            result.server_cpu = (after - before) / result.elapsed
        if machine_before is not None and machine_after is not None:
            result.machine_cpu = (machine_after - machine_before) / result.elapsed
        p99 = _ms(result.p99)
        self.log(
            f"  {path}: {result.rps:,.0f} req/s, p99 {p99}, errors {_errors(result)}, "
            f"CPU server {_cpu(result.server_cpu)} client {_cpu(result.client_cpu)} "
            f"machine {_cpu(result.machine_cpu)}"
        )
        return result

    def serve(self, database_url, cache_url, label):
        env = self.server_env(database_url, cache_url)
        log_path = self.tmp / f"gunicorn-{label}.log"
        return gunicorn(
            "newsroom.wsgi", env=env, workers=self.o["workers"], log_path=log_path, log=self.log
        )

    def failed_server(self, key_prefix, paths, error):
        self.log(f"  server failed: {error}")
        self.notes.append(f"gunicorn ({key_prefix[1]}) did not start: {str(error)[:200]}")
        for path_key in paths:
            failed = LoadResult(path=path_key, connections=self.o["connections"], elapsed=1.0)
            failed.errors["server did not start"] += 1
            self.pages[(*key_prefix, path_key)] = failed

    def site_stage(self):
        headlines = self.o["headlines"]
        self.step(f"corpus of {self.o['articles']:,} articles, {headlines:,} headlines")
        with throwaway_database(self.tmp, "corpus", self.log) as url:
            self.corpus_seconds["corpus"] = build_corpus(
                articles=self.o["articles"], headlines=headlines, log=self.log
            )
            article = live_article_path()
            self.paths = {
                "article": article,
                "home": "/",
                "archive": "/headlines/",
                "search": SEARCH_PATH,
            }
            self.step("SQL queries per page (test client, in-process)")
            self.queries = count_queries(list(self.paths.values()))
            for path, (status, cold, warm_status, warm) in self.queries.items():
                self.log(
                    f"  {path}: {status}, {cold} queries uncached; {warm_status}, {warm} cached"
                )
            for cache_name, cache_url in (("cold", "dummy://"), ("warm", "locmem://")):
                self.step(f"pages under gunicorn, cache {cache_name} (CACHE_URL={cache_url})")
                try:
                    with self.serve(url, cache_url, f"site-{cache_name}") as (port, pid):
                        for name, path in self.paths.items():
                            self.pages[("site", cache_name, name)] = self.measure(
                                port, pid, path, keep_body=name == "article"
                            )
                except ServerError as error:
                    self.failed_server(("site", cache_name), self.paths, error)
        self.static_stage()

    def static_stage(self):
        self.step("the same article HTML as a static file (the ceiling)")
        served = [
            result
            for key, result in self.pages.items()
            if key[0] == "site" and key[2] == "article" and result.body
        ]
        html = self.tmp / "article.html"
        if served:
            html.write_bytes(served[0].body)
        else:
            self.notes.append("the article page never answered 200: the static file is a stand-in")
            html.write_bytes(_stand_in_html())
        env = dict(os.environ, BENCH_STATIC_FILE=str(html))
        env.pop("DJANGO_SETTINGS_MODULE", None)
        try:
            with gunicorn(
                "newsroom.management.commands.bench:static_app",
                env=env,
                workers=self.o["workers"],
                log_path=self.tmp / "gunicorn-static.log",
                log=self.log,
            ) as (port, pid):
                self.static = self.measure(port, pid, "/article.html")
        except ServerError as error:
            self.log(f"  static server failed: {error}")
            self.notes.append(f"static server did not start: {str(error)[:200]}")
        self.static_size = html.stat().st_size

    def article_stage(self, label, headlines):
        self.step(f"article page at {headlines:,} headlines, cache cold")
        with throwaway_database(self.tmp, label, self.log) as url:
            self.corpus_seconds[label] = build_corpus(
                articles=self.o["articles"], headlines=headlines, log=self.log
            )
            path = live_article_path()
            try:
                with self.serve(url, "dummy://", label) as (port, pid):
                    self.pages[(label, "cold", "article")] = self.measure(port, pid, path)
            except ServerError as error:
                self.failed_server((label, "cold"), ["article"], error)

    # - facts and table -

    def machine_facts(self):
        import django
        import gunicorn as gunicorn_package
        from django.db import connection

        return {
            "cores": os.cpu_count(),
            "cpu": _cpu_model(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "django": django.get_version(),
            "gunicorn": gunicorn_package.__version__,
            "database": connection.vendor,
            "commit": _git_commit(),
        }

    def document(self):
        now = datetime.now(UTC)
        f, o = self.facts, self.o
        big = "skipped" if o["skip_big"] else f"{o['big_headlines']:,} headlines"
        lines = [
            f"# Newsroom benchmark, {now:%Y-%m-%d %H:%M} UTC",
            "",
            f"- machine: {f['cores']} cores (os.cpu_count), {f['cpu']}, {f['platform']}",
            f"- Python {f['python']}, Django {f['django']}, gunicorn {f['gunicorn']}, "
            f"database {f['database']} (throwaway databases on it)",
            f"- commit {f['commit']}",
            f"- corpus: {o['articles']:,} articles, {o['headlines']:,} headlines (seed "
            f"{CORPUS_SEED}); small {self.small_size():,} headlines; big {big}",
            f"- corpus build (bulk, not measured): {self._build_times()}",
            f"- load: the Python load generator of this command (one thread, epoll, raw "
            f"sockets) on {LOOPBACK}, {o['connections']} connections, {o['duration']:g} s per "
            f"row after {WARMUP_SECONDS:g} s of warm-up; gunicorn {o['workers']} sync workers "
            "(a new connection per request), DJANGO_DEBUG=0, no access log",
            f"- CPU: % of one core ({f['cores']} cores = {f['cores'] * 100} %): gunicorn's "
            "processes + the load generator / the whole machine (other processes included)",
            "",
            markdown_table(self.rows()),
        ]
        if self.notes:
            lines += ["", *(f"- note: {note}" for note in self.notes)]
        return "\n".join(lines) + "\n"

    def _build_times(self):
        sizes = {
            "corpus": self.o["headlines"],
            "small": self.small_size(),
            "big": self.o["big_headlines"],
        }
        done = [
            f"{sizes[label]:,} headlines in {seconds:,.0f} s"
            for label, seconds in self.corpus_seconds.items()
        ]
        return ", ".join(done) or "none"

    def rows(self):
        return self.import_rows() + self.parse_rows() + self.page_rows() + self.growth_rows()

    def import_rows(self):
        ingest, raw, batch = (self.imports[k] for k in ("ingest", "raw", "raw_batch"))
        per = self.o["dump_headlines"]
        share = ingest.rate() / raw.rate()
        size = f"{ingest.count:,} dumps × {per} headlines"
        return [
            Row(
                "import: ingest service (dump_ingest), per dump",
                size,
                f"{ingest.rate('count'):,.1f} dumps/s · {_rate(ingest.rate(), 'headlines/s')}",
                _ms(_median(ingest.per_item)),
                _ms(_quantile(ingest.per_item, 0.99)),
                f"{ingest.failures:,}",
                ratio=f"{_percent(share)} of raw",
                target=f"≥ {IMPORT_SHARE:.0%} of raw: {_verdict(share >= IMPORT_SHARE)}",
            ),
            Row(
                "import: raw bulk_create of the same Headline rows, one transaction per dump",
                size,
                f"{raw.rate('count'):,.1f} dumps/s · {_rate(raw.rate(), 'headlines/s')}",
                _ms(_median(raw.per_item)),
                _ms(_quantile(raw.per_item, 0.99)),
                "0",
                ratio="100 % (the baseline)",
            ),
            Row(
                "import: raw bulk_create, all rows in one batch",
                f"{batch.units:,} headlines",
                _rate(batch.rate(), "headlines/s"),
                ratio=f"ingest = {_percent(ingest.rate() / batch.rate())} of it",
            ),
        ]

    def parse_rows(self):
        parse, read = self.parse["parse"], self.parse["read"]
        size = f"{parse.units / 1e6:,.2f} MB, {self.parse['headlines']:,} headlines"
        return [
            Row(
                "parse: parse_dump(bytes) of one big dump",
                size,
                f"{parse.rate() / 1e6:,.2f} MB/s",
                _ms(parse.seconds),
                errors=f"{parse.failures} warnings",
                ratio=f"{_percent(parse.rate() / read.rate())} of read",
            ),
            Row(
                "parse: read + UTF-8 decode of the same bytes",
                size,
                f"{read.rate() / 1e6:,.0f} MB/s",
                _ms(read.seconds),
                ratio="100 % (the baseline)",
            ),
            *self.capture_rows(),
        ] + self.worst_parse_rows()

    def worst_parse_rows(self):
        worst = self.parse.get("worst")
        if worst is None:  # a run measured before the worst shape was
            return []
        sample = self.parse.get("sample")
        sample_rows = [
            Row(
                "parse: parse_dump(bytes) of the shared sample",
                f"{sample.units / 1e3:,.1f} KB",
                f"{sample.rate() / 1e6:,.2f} MB/s",
                _ms(sample.seconds),
                ratio=f"{_percent(sample.rate() / self.parse['parse'].rate())} of the big dump's",
            )
        ] if sample else []
        return sample_rows + [
            Row(
                "parse: parse_dump(bytes) of the worst shape known (a headline every ~28 bytes)",
                f"{worst.units / 1e6:,.2f} MB",
                f"{worst.rate() / 1e6:,.2f} MB/s",
                _ms(worst.seconds),
                ratio=f"{_percent(worst.rate() / self.parse['parse'].rate())} of the big dump's",
            )
        ]

    def capture_rows(self):
        capture = self.parse.get("capture")
        if capture is None:
            return []
        return [
            Row(
                "parse: parse_dump(bytes) of one long general capture",
                f"{capture.units / 1e6:,.2f} MB",
                f"{capture.rate() / 1e6:,.2f} MB/s",
                _ms(capture.seconds),
                errors="not read as an article" if capture.failures else "0",
                ratio=f"{_percent(capture.rate() / self.parse['parse'].rate())} of the sidebar's",
            )
        ]

    def page_rows(self):
        rows = []
        static = self.static.rps if self.static and self.static.ok else None
        corpus = f"{self.o['headlines']:,} headlines"
        for cache_name in ("cold", "warm"):
            for name, path in self.paths.items():
                result = self.pages.get(("site", cache_name, name))
                if result is None:
                    continue
                status, cold_queries, warm_status, warm_queries = self.queries[path]
                queries = cold_queries if cache_name == "cold" else warm_queries
                status = status if cache_name == "cold" else warm_status
                row = self.page_row(
                    f"page, cache {cache_name}: {name} `{path}`", corpus, result, static
                )
                row.queries = f"{queries}" if status == 200 else f"{queries} (HTTP {status})"
                if name == "article" and cache_name == "cold":
                    low, high = (UNCACHED_FACTOR * rps for rps in WAGTAIL_RPS)
                    wagtail = f"{result.rps / (sum(WAGTAIL_RPS) / 2):,.1f}× Wagtail"
                    row.ratio = "; ".join(filter(None, [row.ratio, wagtail]))
                    verdict = (
                        "**met**"
                        if result.rps >= high
                        else ("**met at the low end**" if result.rps >= low else "**not met**")
                    )
                    row.target = f"≥ {UNCACHED_FACTOR}× Wagtail = {low}–{high} req/s: {verdict}"
                if name == "article" and cache_name == "warm" and static:
                    share = result.rps / static
                    row.target = (
                        f"≥ {CACHED_SHARE:.0%} of static: {_verdict(share >= CACHED_SHARE)}"
                    )
                rows.append(row)
        if self.static:
            size = f"{self.static_size:,} bytes"
            row = self.page_row("static file: the article HTML (tiny WSGI app)", size, self.static)
            row.ratio = "100 % (the ceiling)"
            rows.append(row)
        return rows

    def page_row(self, measurement, size, result, static=None):
        cpu = f"{_cpu(result.server_cpu)} + {_cpu(result.client_cpu)} / {_cpu(result.machine_cpu)}"
        row = Row(
            measurement,
            size,
            _rate(result.rps, "req/s"),
            _ms(result.p50),
            _ms(result.p99),
            _errors(result),
            cpu=cpu,
        )
        if static:
            row.ratio = f"{_percent(result.rps / static)} of static"
        return row

    def growth_rows(self):
        small_size = self.small_size()
        if small_size == self.o["headlines"]:
            small = self.pages.get(("site", "cold", "article"))
        else:
            small = self.pages.get(("small", "cold", "article"))
        rows = []
        if small is not None:
            row = self.page_row(
                "article p99, cache cold, small corpus", f"{small_size:,} headlines", small
            )
            row.ratio = "1.00× (the baseline)"
            rows.append(row)
        big = self.pages.get(("big", "cold", "article"))
        if big is not None:
            size = f"{self.o['big_headlines']:,} headlines"
            row = self.page_row("article p99, cache cold, big corpus", size, big)
            target = f"≤ {P99_GROWTH}× small"
            if small is not None and small.p99 and big.p99:
                growth = big.p99 / small.p99
                row.ratio = f"p99 {growth:,.2f}× small"
                row.target = f"{target}: {_verdict(growth <= P99_GROWTH)}"
            elif small is not None and small.p99 and big.errors:
                # No answer within the timeout: the p99 is at least that.
                row.ratio = f"p99 > {LOAD_TIMEOUT:g} s = > {LOAD_TIMEOUT / small.p99:,.0f}× small"
                row.target = f"{target}: {_verdict(False)}"
            rows.append(row)
        return rows


def _median(values):
    return _quantile(values, 0.5)


def _quantile(values, share):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def _cpu(value):
    return "—" if value is None else f"{value * 100:,.0f} %"


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _git_commit():
    if not shutil.which("git"):
        return "unknown"
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def _stand_in_html():
    from newsroom.management.commands.generate_corpus import sentence

    rng = random.Random(CORPUS_SEED)
    paragraphs = "".join(f"<p>{sentence(rng, 80)}</p>\n" for _ in range(12))
    return f"<!doctype html><title>stand-in</title>\n{paragraphs}".encode()


# -- the load test (issue 10) ---------------------------------------------------


def parse_import_summary(text):
    """The counts of import_dump's closing summary, or None when it printed none.

    ``{"imported", "already", "failed"}`` from the line ``dumps  N imported, M
    already imported, K failed``, with ``{"created", "updated", "unchanged"}``
    of the headlines line when there is one.
    """
    found = IMPORT_SUMMARY.search(text)
    if found is None:
        return None
    summary = {name: int(value) for name, value in found.groupdict().items()}
    rows = IMPORT_HEADLINES.search(text, found.end())
    if rows is not None:
        summary.update({name: int(value) for name, value in rows.groupdict().items()})
    return summary


@dataclass
class ImportRun:
    """One ``manage.py import_dump`` subprocess of the load test, and what it said."""

    process: subprocess.Popen
    out_path: Path
    started: float  # perf_counter() at the start
    ended: float | None = None  # perf_counter() at the exit, set by the watching thread
    watcher: threading.Thread | None = None
    timed_out: bool = False
    output: str = ""
    summary: dict | None = None

    @property
    def returncode(self):
        return self.process.returncode

    @property
    def seconds(self):
        return None if self.ended is None else self.ended - self.started

    def watch(self):
        """Wait for the exit in a thread of its own: the load generator holds the main one."""
        self.process.wait()
        self.ended = time.perf_counter()

    def finish(self, timeout):
        """Wait up to ``timeout`` s for the exit, else stop it; then read its summary."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            stop_process(self.process)
        if self.watcher is not None:
            self.watcher.join(timeout=STOP_TIMEOUT)
        self.output = self.out_path.read_text(encoding="utf-8", errors="replace")
        self.summary = parse_import_summary(self.output)


@contextmanager
def import_dump_process(directory, *, env, out_path):
    """Start ``manage.py import_dump directory`` with ``env``; yield its ImportRun; always stop it.

    Its standard output and error go to ``out_path`` (a file, never a pipe
    that nobody reads while the load runs).
    """
    command = [sys.executable, "manage.py", "import_dump", str(directory)]
    with open(out_path, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    run = ImportRun(process=process, out_path=Path(out_path), started=time.perf_counter())
    run.watcher = threading.Thread(target=run.watch, name="import-dump-exit", daemon=True)
    run.watcher.start()
    try:
        yield run
    finally:
        stop_process(process)
        run.watcher.join(timeout=STOP_TIMEOUT)


@dataclass
class LoadPass:
    """One pass of the load test: one cache setting, its load and its import."""

    cache: str
    dumps: int
    path: str = ""
    load: LoadResult | None = None
    during: LoadResult | None = None  # the responses that ended while the import ran
    importer: ImportRun | None = None
    shows_import: bool | None = None  # the page lists the last dump's newest headline after
    locked: int = 0  # "database is locked" in gunicorn's log and the import's output
    problems: list = field(default_factory=list)  # what went wrong outside the counts
    notes: list = field(default_factory=list)

    def failures(self):
        """Why this pass fails the check: empty when it passed."""
        found = list(self.problems)
        load, importer = self.load, self.importer
        if load is not None:
            if load.error_count:
                found.append(f"{load.error_count:,} request errors")
            if not load.ok:
                found.append("no request was answered with a 2xx")
        if importer is not None:
            summary = importer.summary
            if importer.timed_out:
                found.append(f"import_dump still ran {IMPORT_TIMEOUT:g} s after the load: stopped")
            if importer.returncode != 0:
                found.append(f"import_dump exited with status {importer.returncode}")
            if summary is None:
                found.append("import_dump printed no summary")
            elif summary["failed"]:
                found.append(f"{summary['failed']} of {self.dumps} dumps failed")
            elif summary["imported"] + summary["already"] != self.dumps:
                found.append(f"{summary['imported']} of {self.dumps} dumps imported")
        if (load is None or importer is None) and not found:
            found.append("the load or the import did not run")
        return found


LOAD_HEADERS = (
    "pass",
    "requests",
    "req/s",
    "p50",
    "p99",
    "errors",
    "CPU server + client / machine",
    "import_dump exit",
    "dumps imported / already / failed",
    "headlines created / updated",
    "import wall time",
    "check",
)


class LoadTest(Bench):
    """``bench --load-test``: the article page under load while import_dump writes (issue 10).

    For each cache setting (cold: ``dummy://``, warm: ``locmem://``) a corpus
    in a throwaway database, gunicorn on it, and, started together, the load
    generator on a live article's page and ``manage.py import_dump`` of
    generated dumps as a subprocess with gunicorn's environment (so the same
    database). A check run by hand (``make loadtest``), not part of the suite:
    :meth:`failures` lists what failed and the command then exits 1.
    """

    def __init__(self, *, options, log):
        super().__init__(options=options, log=log)
        self.passes = []

    def run(self):
        self.facts = self.machine_facts()
        with tempfile.TemporaryDirectory(prefix="newsroom-loadtest-") as tmpdir:
            self.tmp = Path(tmpdir)
            self.collectstatic()
            for cache_name in self.cache_names():
                self.passes.append(self.load_pass(cache_name))
        return self.document()

    def cache_names(self):
        chosen = self.o["load_cache"]
        return list(LOAD_CACHES) if chosen == "both" else [chosen]

    def failures(self):
        return [f"cache {p.cache}: {reason}" for p in self.passes for reason in p.failures()]

    def load_pass(self, cache_name):
        from django.db import connection
        from django.utils import timezone

        o, cache_url = self.o, LOAD_CACHES[cache_name]
        found = LoadPass(cache=cache_name, dumps=o["load_dumps"])
        self.step(f"load test, cache {cache_name} (CACHE_URL={cache_url})")
        with throwaway_database(self.tmp, f"load_{cache_name}", self.log) as url:
            self.facts["database"] = database_version()
            self.corpus_seconds[cache_name] = build_corpus(
                articles=o["articles"], headlines=o["load_headlines"], log=self.log
            )
            found.path = live_article_path()
            connection.close()  # nothing of this process stays open while the load runs
            local_now = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
            dumps = self.tmp / f"dumps-{cache_name}"
            write_load_dumps(dumps, count=o["load_dumps"], origin=local_now + LOAD_LEAD)
            env = self.server_env(url, cache_url)
            log_path = self.tmp / f"gunicorn-load-{cache_name}.log"
            try:
                with gunicorn(
                    "newsroom.wsgi", env=env, workers=o["workers"], log_path=log_path, log=self.log
                ) as (port, pid):
                    self.under_load(found, port, pid, dumps, env)
                    found.shows_import = self.page_shows(
                        port, found.path, pool_marker(newest_pool_index(o["load_dumps"]))
                    )
            except ServerError as error:
                self.log(f"  server failed: {error}")
                found.problems.append(f"gunicorn did not start: {str(error)[:200]}")
            self.read_logs(found, log_path)
        return found

    def under_load(self, found, port, pid, dumps, env):
        """The warm-up, then the measured load with import_dump running beside it."""
        connections, duration = self.o["load_connections"], self.o["load_duration"]
        load_run(port, found.path, duration=WARMUP_SECONDS, connections=connections)
        self.log(
            f"  {found.path}: {connections} connections for {duration:g} s; "
            f"import_dump of {found.dumps} dumps at the same time"
        )
        before, machine_before = process_tree_cpu(pid), machine_busy()
        out_path = self.tmp / f"import-{found.cache}.log"
        with import_dump_process(dumps, env=env, out_path=out_path) as importer:
            found.importer = importer
            load = found.load = load_run(
                port, found.path, duration=duration, connections=connections, timeline=True
            )
            after, machine_after = process_tree_cpu(pid), machine_busy()
            if importer.process.poll() is None:
                self.log("  the load is over; waiting for import_dump")
            importer.finish(IMPORT_TIMEOUT)
        if before is not None and after is not None:
            load.server_cpu = (after - before) / load.elapsed
        if machine_before is not None and machine_after is not None:
            load.machine_cpu = (machine_after - machine_before) / load.elapsed
        load_end = load.started + load.elapsed
        end = load_end if importer.ended is None else min(importer.ended, load_end)
        found.during = load_window(load, max(importer.started, load.started), end)
        if importer.ended is None or importer.ended > load_end:
            found.notes.append(
                f"import_dump outlasted the load by "
                f"{(importer.ended or time.perf_counter()) - load_end:,.1f} s; the "
                "'while the import ran' row covers the import's time under load only"
            )
        self.log(
            f"  load: {load.ok:,} requests, {load.rps:,.0f} req/s, p99 {_ms(load.p99)}, "
            f"errors {_errors(load)}; import_dump exit {importer.returncode} after "
            f"{_seconds(importer.seconds)}, summary {importer.summary}"
        )

    def page_shows(self, port, path, marker):
        """Whether ``path`` now lists the headline whose title ends with ``marker``."""
        try:
            status, body = http_get(port, path, timeout=LOAD_TIMEOUT)
        except (OSError, http.client.HTTPException):
            return None
        return status == 200 and f"{marker}<".encode() in body

    def read_logs(self, found, log_path):
        """Count "database is locked"; keep the first error lines of gunicorn and import_dump."""
        server_log = Path(log_path).read_text(errors="replace") if Path(log_path).exists() else ""
        import_log = found.importer.output if found.importer else ""
        found.locked = server_log.count(LOCKED) + import_log.count(LOCKED)
        if found.load is not None and found.load.error_count:
            errors = _error_lines(server_log)
            found.notes.append(
                "gunicorn's log: " + (" / ".join(errors) if errors else "no error line")
            )
        failed = [line.strip() for line in import_log.splitlines() if line.startswith("FAILED")]
        if failed:
            found.notes.append(f"import_dump's FAILED lines: {len(failed)}; the first: {failed[0]}")
        if found.importer is not None and found.importer.returncode:
            tail = import_log.strip().splitlines()[-1:] or ["(no output)"]
            found.notes.append(f"import_dump's last line: {tail[0][:300]}")

    # - document -

    def document(self):
        now = datetime.now(UTC)
        f, o = self.facts, self.o
        failures = self.failures()
        verdict = (
            "**passed**: 0 errors, 0 failed imports"
            if not failures
            else "**FAILED**: " + "; ".join(failures)
        )
        builds = ", ".join(
            f"cache {name} {seconds:,.1f} s" for name, seconds in self.corpus_seconds.items()
        )
        step = LOAD_DUMP_HEADLINES - LOAD_OVERLAP
        lines = [
            f"# Newsroom load test, {now:%Y-%m-%d %H:%M} UTC",
            "",
            f"- machine: {f['cores']} cores (os.cpu_count), {f['cpu']}, {f['platform']}",
            f"- Python {f['python']}, Django {f['django']}, gunicorn {f['gunicorn']}, "
            f"database {f['database']} (a throwaway database per pass)",
            f"- commit {f['commit']}",
            f"- corpus per pass: {o['articles']:,} articles, {o['load_headlines']:,} headlines "
            f"(seed {CORPUS_SEED}); built in {builds or '—'}",
            f"- load: the Python load generator of `manage.py bench` on {LOOPBACK}, "
            f"{o['load_connections']} connections for {o['load_duration']:g} s per pass after "
            f"{WARMUP_SECONDS:g} s of warm-up, on the page of a live corpus article; gunicorn "
            f"{o['workers']} sync workers, DJANGO_DEBUG=0; an error is a non-2xx response, a "
            f"timeout ({LOAD_TIMEOUT:g} s) or a connection error",
            f"- import: `manage.py import_dump <dir>` of {o['load_dumps']} generated dumps "
            f"(an article + {LOAD_DUMP_HEADLINES} headlines each; {LOAD_OVERLAP} of them are "
            f"the next dump's too, which updates them; dated from now + "
            f"{LOAD_LEAD.total_seconds() / 3600:g} h on, {step} new ones per dump, so each "
            "import puts its headlines at the top of the article page's sidebar), started with "
            "the measured load, in a subprocess with gunicorn's environment and database; its "
            "wall time includes starting Python and Django",
        ]
        if f["database"].startswith("SQLite"):
            lines.append(
                "- SQLite (newsroom/settings.py): WAL journal, IMMEDIATE transactions, timeout "
                "20 s; each dump is one write transaction while the pages only read"
            )
        lines += [f"- result: {verdict}", "", markdown_lines(LOAD_HEADERS, self.load_rows())]
        notes = [f"cache {p.cache}: {note}" for p in self.passes for note in self.pass_notes(p)]
        if self.notes or notes:
            lines += ["", *(f"- note: {note}" for note in self.notes + notes)]
        return "\n".join(lines) + "\n"

    def load_rows(self):
        rows = []
        for found in self.passes:
            name = f"cache {found.cache} (`CACHE_URL={LOAD_CACHES[found.cache]}`)"
            importer, summary = found.importer, found.importer and found.importer.summary
            check = _verdict(not found.failures())
            if found.load is None:
                rows.append((f"{name}: did not run", *[""] * 10, check))
                continue
            load, during = found.load, found.during
            whole = f"{name}: article `{found.path}`, all {load.elapsed:,.1f} s"
            dumps = headlines = "—"
            if summary:
                dumps = f"{summary['imported']:,} / {summary['already']:,} / {summary['failed']:,}"
                if "created" in summary:
                    headlines = f"{summary['created']:,} / {summary['updated']:,}"
            exit_status = "—" if importer is None else str(importer.returncode)
            if importer is not None and importer.timed_out:
                exit_status += " (stopped)"
            seconds = _seconds(importer.seconds) if importer else "—"
            rows.append(
                (
                    whole,
                    *_load_cells(load),
                    exit_status,
                    dumps,
                    headlines,
                    seconds,
                    check,
                )
            )
            if during is not None and importer is not None:
                start = during.started - load.started
                window = f"{start:,.1f}–{start + during.elapsed:,.1f} s"
                label = f"{name}: the same, while the import ran ({window})"
                rows.append((label, *_load_cells(during, cpu=False), *[""] * 5))
        return rows

    def pass_notes(self, found):
        notes = list(found.notes)
        if found.shows_import is not None:
            seen = "lists" if found.shows_import else "does not list"
            why = ""
            if not found.shows_import and found.cache == "warm":
                why = (
                    " (expected: the locmem page cache is per process, so import_dump's version "
                    "bump never reaches the workers; they serve their copy until it expires)"
                )
            notes.append(
                f"after the import the article page {seen} the last dump's newest headline{why}"
            )
        if found.locked:
            notes.append(
                f"\"{LOCKED}\" {found.locked:,}× in gunicorn's log and the import's output"
            )
        elif self.facts.get("database", "").startswith("SQLite") and found.load is not None:
            notes.append(f"no \"{LOCKED}\" in gunicorn's log or the import's output")
        return notes


def _load_cells(result, cpu=True):
    """requests, req/s, p50, p99, errors and CPU of a load result, as table cells."""
    usage = ""
    if cpu:
        usage = (
            f"{_cpu(result.server_cpu)} + {_cpu(result.client_cpu)} / {_cpu(result.machine_cpu)}"
        )
    return (
        f"{result.ok:,}",
        _rate(result.rps, "req/s"),
        _ms(result.p50),
        _ms(result.p99),
        _errors(result),
        usage,
    )


def _seconds(value):
    return "—" if value is None else f"{value:,.1f} s"


def _error_lines(text, limit=3):
    """The first ``limit`` distinct lines of a log that name an error or exception."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if ("Error" in line or "error" in line or "Exception" in line) and line not in found:
            found.append(line[:300])
            if len(found) == limit:
                break
    return found


def results_path(directory, now=None, suffix=""):
    now = now or datetime.now(UTC)
    return Path(directory) / f"{now:%Y-%m-%dT%H-%M-%SZ}{suffix}.md"


def write_results(document, directory, suffix=""):
    """Write the document to ``directory/<UTC timestamp><suffix>.md`` (through a .tmp file)."""
    path = results_path(directory, suffix=suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".md.tmp")
    partial.write_text(document, encoding="utf-8")
    partial.replace(path)
    return path


class Command(BaseCommand):
    help = (
        "Benchmark import, parse and page throughput on a generated corpus; print one "
        "Markdown table and write it to bench/results/. A benchmark, not a test."
    )

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=1000)
        parser.add_argument("--headlines", type=int, default=100_000)
        parser.add_argument("--big-headlines", type=int, default=1_000_000)
        parser.add_argument("--skip-big", action="store_true", help="no big-corpus p99 row")
        parser.add_argument("--duration", type=float, default=10.0, help="seconds per page")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--dumps", type=int, default=50, help="dumps to import")
        parser.add_argument("--dump-headlines", type=int, default=20)
        parser.add_argument("--parse-headlines", type=int, default=10_000)
        parser.add_argument("--results-dir", default=str(RESULTS_DIR))
        load = parser.add_argument_group(
            "load test (issue 10)",
            "--load-test runs instead of the table: the article page under load while "
            "import_dump writes into the same database; exits 1 on any error or failed import.",
        )
        load.add_argument("--load-test", action="store_true", help="run the load test")
        load.add_argument("--load-connections", type=int, default=64)
        load.add_argument("--load-duration", type=float, default=60.0, help="seconds per pass")
        load.add_argument("--load-dumps", type=int, default=100, help="dumps import_dump imports")
        load.add_argument(
            "--load-headlines", type=int, default=LOAD_HEADLINES, help="headlines in its corpus"
        )
        load.add_argument(
            "--load-cache",
            choices=("cold", "warm", "both"),
            default="both",
            help="page cache of the passes: cold (dummy://), warm (locmem://) or both",
        )

    def handle(self, *args, **options):
        numbers = ("articles", "headlines", "big_headlines", "connections", "workers", "dumps")
        if any(options[name] < 1 for name in numbers) or options["duration"] <= 0:
            raise CommandError("Sizes, connections, workers and the duration must be positive.")
        if options["dump_headlines"] < 1 or options["parse_headlines"] < 1:
            raise CommandError("Dumps need at least one headline.")
        if options["headlines"] > 5_000_000 or options["big_headlines"] > 5_000_000:
            raise CommandError("At most 5,000,000 headlines.")
        self.stderr.style_func = None
        started = time.monotonic()

        def log(message):
            self.stderr.write(f"[{time.monotonic() - started:6.1f} s] {message}")
            self.stderr.flush()

        if options["load_test"]:
            self.load_test(options, log, started)
            return
        document = Bench(options=options, log=log).run()
        self.stdout.write(document, ending="")
        path = write_results(document, options["results_dir"])
        log(f"done in {time.monotonic() - started:.0f} s; wrote {path}")

    def load_test(self, options, log, started):
        numbers = ("articles", "workers", "load_connections", "load_dumps", "load_headlines")
        if any(options[name] < 1 for name in numbers) or options["load_duration"] <= 0:
            raise CommandError("Sizes, connections, workers and the duration must be positive.")
        if options["load_connections"] > 1000 or options["load_duration"] > 600:
            raise CommandError("At most 1,000 connections for at most 600 s.")
        if options["load_headlines"] > 5_000_000 or options["load_dumps"] > 10_000:
            raise CommandError("At most 5,000,000 headlines and 10,000 dumps.")
        run = LoadTest(options=options, log=log)
        document = run.run()
        self.stdout.write(document, ending="")
        path = write_results(document, options["results_dir"], suffix="-load")
        log(f"done in {time.monotonic() - started:.0f} s; wrote {path}")
        failures = run.failures()
        if failures:
            raise CommandError("load test failed: " + "; ".join(failures), returncode=1)
