"""manage.py bench: import, parse and page throughput on a generated corpus, in one table.

A benchmark, not a test: nothing here can fail the suite, and a page that
errors is counted in the table, not raised. Everything runs in throwaway
databases (a temporary SQLite file, or a PostgreSQL database created and
dropped on the server of ``DATABASE_URL``), never in the one configured.

Measured in one run (see ``bench/README.md``):

1. import: generated dumps through the real ingest service, beside a raw
   ``bulk_create`` of the same Headline rows;
2. parse: ``parse_dump`` on one big generated dump, beside reading and
   decoding the same bytes;
3. pages under gunicorn (production settings, loopback only) with a bounded
   Python load generator, cache cold and warm, beside the same article HTML
   served as a static file by a tiny WSGI app under the same gunicorn;
4. SQL queries per page, counted in-process with the test client;
5. the article page's p99 at 10,000 and at ``--big-headlines`` headlines.

Every subprocess started here is stopped in a ``finally`` block, by its PID.
"""

import http.client
import math
import os
import platform
import random
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
    lines = [title, "", title, f"  1. {title}", f"    {sentence(rng, 24)[:-1]}…"]
    lines += ["    Middle Easte", ""]
    paragraphs = [" ".join(sentence(rng, rng.randint(12, 16)) for _ in range(5)) for _ in range(12)]
    paragraphs[-1] = paragraphs[-1][:-1] + "…"
    for paragraph in paragraphs:
        lines += [paragraph, ""]
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
    port, path, *, duration, connections, timeout=LOAD_TIMEOUT, keep_body=False, host=LOOPBACK
):
    """GET ``path`` from 127.0.0.1:``port`` over ``connections`` connections for ``duration`` s.

    One thread, non-blocking sockets and epoll (as wrk does per thread), so
    the client's own latency stays small. Bounded: no request starts after the
    deadline and none is waited for longer than ``timeout``. Keep-alive is used
    when the server offers it (gunicorn's sync workers close after each
    response). Only 2xx responses count as requests; anything else is an error,
    by status or by exception name. Latency runs from the first byte sent (or
    the connect) to the last byte of the body.
    """
    if host != LOOPBACK:
        raise ValueError(f"the load generator only talks to {LOOPBACK}, not {host!r}")
    request = request_bytes(path, port)
    address = (host, port)
    result = LoadResult(path=path, connections=connections)
    selector = selectors.DefaultSelector()
    conns = [_Conn() for _ in range(connections)]
    cpu_before = _own_cpu()
    started = time.perf_counter()
    deadline = started + duration

    def drop(conn):
        if conn.sock is not None:
            selector.unregister(conn.sock)
            conn.sock.close()
            conn.sock = None
        conn.began = 0.0

    def fail(conn, kind, now):
        result.errors[kind] += 1
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
            if keep_body:
                body = bytes(conn.buffer[start:end])
                result.body = _unchunk(body) if chunked else body
        else:
            result.errors[str(status)] += 1
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
                    story_key=key,
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


def measure_parse(tmp, *, headlines, seconds=1.0):
    """MB/s of parse_dump on one big dump file, and of reading and decoding it alone."""
    from newsroom.dumps import parse_dump

    path = Path(tmp) / "big-dump.txt"
    path.write_text(bench_dump_text(0, headlines=headlines), encoding="utf-8")
    size = path.stat().st_size
    parsed = parse_dump(path.read_bytes())
    parse_time, parse_runs = _repeat(lambda: parse_dump(path.read_bytes()), seconds=seconds)
    read_time, read_runs = _repeat(
        lambda: path.read_bytes().decode("utf-8"), seconds=seconds, at_least=20
    )
    return {
        "parse": Timed(parse_runs, size, parse_time, failures=len(parsed.warnings)),
        "read": Timed(read_runs, size, read_time),
        "headlines": len(parsed.headlines),
    }


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
    def cell(text):
        return str(text).replace("|", "\\|").replace("\n", " ") or " "

    lines = [
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join(" --- " for _ in HEADERS) + "|",
    ]
    for row in rows:
        values = (
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
            self.log(f"  parse: {self.parse['parse'].rate() / 1e6:,.2f} MB/s")
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


def results_path(directory, now=None):
    now = now or datetime.now(UTC)
    return Path(directory) / f"{now:%Y-%m-%dT%H-%M-%SZ}.md"


def write_results(document, directory):
    """Write the document to ``directory/<UTC timestamp>.md`` (through a .tmp file)."""
    path = results_path(directory)
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

        document = Bench(options=options, log=log).run()
        self.stdout.write(document, ending="")
        path = write_results(document, options["results_dir"])
        log(f"done in {time.monotonic() - started:.0f} s; wrote {path}")
