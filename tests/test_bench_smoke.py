"""`manage.py bench` runs: its pieces at tiny sizes. It measures nothing here.

The benchmark itself is never part of the suite (it takes minutes and its
numbers depend on the machine); these tests only prove that the code works.
"""

import io
import os
import subprocess
import sys
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from newsroom.dumps import parse_dump
from newsroom.management.commands import bench

BODY = b"<!doctype html><title>bench</title>" + b"<p>Words of an article.</p>" * 200


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real server may offer

    def do_GET(self):  # noqa: N802 - the http.server API
        if self.path == "/missing":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (BODY[:100], BODY[100:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer((bench.LOOPBACK, 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_generated_dumps_parse_cleanly_with_distinct_titles():
    first = parse_dump(bench.bench_dump_text(1, headlines=20))
    second = parse_dump(bench.bench_dump_text(2, headlines=20))
    assert first.warnings == [] and second.warnings == []
    assert first.article is not None and len(first.article.paragraphs) == 12
    assert len(first.headlines) == 20
    assert all(h.published_at and h.published_at.year == 2017 for h in first.headlines)
    titles = {h.title for h in first.headlines} | {h.title for h in second.headlines}
    assert len(titles) == 40


def test_the_load_generator_counts_requests_latencies_and_errors(server):
    result = bench.load_run(server, "/", duration=1.0, connections=4, keep_body=True)
    assert result.ok > 10 and result.errors == {}
    assert 0 < result.p50 <= result.p99
    assert result.rps > 0 and result.body == BODY

    missing = bench.load_run(server, "/missing", duration=0.2, connections=2)
    assert missing.ok == 0 and missing.errors["404"] > 0 and missing.p99 is None

    chunked = bench.load_run(server, "/chunked", duration=0.2, connections=1, keep_body=True)
    assert chunked.ok > 0 and chunked.errors == {} and chunked.body == BODY


def test_the_load_generator_counts_a_dead_server_as_errors_and_stops():
    port = bench.free_port()  # nothing listens there
    result = bench.load_run(port, "/", duration=0.3, connections=2)
    assert result.ok == 0 and result.error_count > 0
    assert result.elapsed < 2


def test_the_load_generator_talks_to_loopback_only():
    with pytest.raises(ValueError):
        bench.load_run(80, "/", duration=0.1, connections=1, host="10.0.0.1")


def test_gunicorn_serves_the_static_file_and_is_stopped(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(BODY)
    env = dict(os.environ, BENCH_STATIC_FILE=str(page))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with bench.gunicorn(
        "newsroom.management.commands.bench:static_app",
        env=env,
        workers=1,
        log_path=tmp_path / "gunicorn.log",
    ) as (port, pid):
        result = bench.load_run(port, "/", duration=0.5, connections=2, keep_body=True)
        assert bench.process_tree_cpu(pid) is not None
    assert result.ok > 0 and result.errors == {} and result.body == BODY
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.django_db
def test_the_import_measurement_runs_the_ingest_and_raw_writes():
    found = bench.measure_import(dumps=2, per_dump=3)
    assert found["ingest"].count == 2 and found["ingest"].failures == 0
    assert found["ingest"].units == found["raw"].units == found["raw_batch"].units == 6
    assert all(timed.rate() > 0 for timed in found.values())


def test_the_parse_measurement(tmp_path):
    found = bench.measure_parse(tmp_path, headlines=30, seconds=0.05)
    assert found["headlines"] == 30 and found["parse"].failures == 0
    assert found["parse"].rate() > 0 and found["read"].rate() > 0
    # The general-capture path is measured beside it, on a page it reads as an article.
    assert found["capture"].rate() > 0 and found["capture"].failures == 0


@pytest.mark.django_db
def test_queries_are_counted_per_page_cold_and_warm():
    counted = bench.count_queries(["/headlines/"])
    status, cold, warm_status, warm = counted["/headlines/"]
    assert isinstance(status, int) and isinstance(warm_status, int)
    assert cold >= 0 and warm >= 0


def test_the_table_is_markdown_and_lands_in_a_timestamped_file(tmp_path):
    rows = [bench.Row("page | cold", "1 headline", "5 req/s", errors="0")]
    table = bench.markdown_table(rows)
    lines = table.splitlines()
    assert len(lines) == 3 and lines[0].startswith("| measurement |")
    assert "page \\| cold" in lines[2]
    path = bench.write_results(f"# bench\n\n{table}\n", tmp_path / "results")
    assert path.suffix == ".md" and path.read_text().endswith(f"{table}\n")
    assert list((tmp_path / "results").iterdir()) == [path]


def fake_load(path, rps, p99, errors=None):
    result = bench.LoadResult(path=path, connections=2, elapsed=1.0)
    result.latencies = [p99 / 2] * (int(rps) - 1) + [p99] if rps else []
    result.errors.update(errors or {})
    result.server_cpu, result.client_cpu, result.machine_cpu = 1.5, 0.2, 1.9
    return result


def test_the_document_has_every_row_with_ratios_and_verdicts():
    options = {
        "articles": 10,
        "headlines": 50_000,
        "big_headlines": 1_000_000,
        "skip_big": False,
        "duration": 1.0,
        "connections": 2,
        "workers": 2,
        "dumps": 2,
        "dump_headlines": 3,
    }
    run = bench.Bench(options=options, log=lambda message: None)
    run.facts = {
        "cores": 2,
        "cpu": "cpu",
        "platform": "linux",
        "python": "3.11",
        "django": "5.2",
        "gunicorn": "23",
        "database": "SQLite 3",
        "commit": "abc",
    }
    run.imports = {
        "ingest": bench.Timed(2, 6, 0.1, [0.05, 0.05]),
        "raw": bench.Timed(2, 6, 0.01, [0.005, 0.005]),
        "raw_batch": bench.Timed(1, 6, 0.005),
    }
    run.parse = {
        "parse": bench.Timed(3, 1_000_000, 0.2),
        "read": bench.Timed(20, 1_000_000, 0.001),
        "headlines": 30,
    }
    run.paths = {"article": "/articles/a/", "home": "/"}
    run.queries = {"/articles/a/": (200, 5, 200, 0), "/": (500, 3, 500, 3)}
    for cache in ("cold", "warm"):
        run.pages[("site", cache, "article")] = fake_load("/articles/a/", 600, 0.05)
        run.pages[("site", cache, "home")] = fake_load("/", 10, 0.5, {"500": 3})
    run.pages[("small", "cold", "article")] = fake_load("/articles/a/", 600, 0.05)
    run.pages[("big", "cold", "article")] = fake_load("/articles/a/", 0, 0, {"timeout": 2})
    run.static, run.static_size = fake_load("/article.html", 5000, 0.003), 24_000

    document = run.document()
    table = [line for line in document.splitlines() if line.startswith("| ")]
    assert len(table) == 2 + 3 + 2 + 4 + 1 + 2  # head, import, parse, pages, static, growth
    assert "≥ 50% of raw: **not met**" in document  # 10 % of raw
    assert "≥ 3× Wagtail = 450–555 req/s: **met**" in document
    assert "≥ 5% of static: **met**" in document
    assert "3 (HTTP 500)" in document and "3 (500×3)" in document
    assert "p99 > 10 s" in document and "≤ 1.2× small: **not met**" in document


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError):
        call_command("bench", "--duration", "0")


# -- the load test (bench --load-test) -------------------------------------------


def test_load_test_dumps_overlap_parse_cleanly_and_get_newer():
    origin = datetime(2026, 12, 31, 23, 30)  # the pool crosses a new year
    texts = [bench.load_dump_text(n, origin=origin) for n in range(3)]
    parsed = [parse_dump(text) for text in texts]
    assert len(set(texts)) == 3 and all(p.warnings == [] for p in parsed)
    assert len({p.article.title for p in parsed}) == 3
    by_title = [{h.title: h for h in p.headlines} for p in parsed]
    assert all(len(titles) == bench.LOAD_DUMP_HEADLINES for titles in by_title)
    for earlier, later in zip(by_title, by_title[1:], strict=False):
        shared = set(earlier) & set(later)
        assert len(shared) == bench.LOAD_OVERLAP
        for title in shared:  # the same row, and the later dump has more to say
            assert earlier[title].published_at == later[title].published_at
            assert len(later[title].summary) > len(earlier[title].summary)
        assert min(h.published_at for h in later.values()) > min(
            h.published_at for h in earlier.values()
        )
    for headline in parsed[2].headlines:  # dated where the pool says, years included
        index = int(headline.title.rsplit("#L", 1)[1])
        assert headline.published_at == origin + bench.LOAD_STEP * index
    newest = bench.pool_marker(bench.newest_pool_index(3))
    assert parsed[2].headlines[0].title.endswith(newest)


def test_load_test_reads_the_import_summary():
    from newsroom.ingest import Status
    from newsroom.management.commands.import_dump import Totals

    totals = Totals()
    totals.by_status = {Status.IMPORTED: 98, Status.ALREADY: 1}
    totals.unreadable = 1
    totals.rows["headlines"] = [1010, 990, 3]
    output = "OK      load-0000.txt: ...\n" + totals.table(dry_run=False) + "\n"
    assert bench.parse_import_summary(output) == {
        "imported": 98,
        "already": 1,
        "failed": 1,
        "created": 1010,
        "updated": 990,
        "unchanged": 3,
    }
    assert bench.parse_import_summary("CommandError: load-0003.txt: database unavailable") is None


def test_load_window_keeps_the_responses_that_ended_inside_it():
    result = bench.LoadResult(path="/", connections=1, elapsed=3.0)
    result.timeline = [(0.5, 0.1, None), (1.5, 0.2, None), (1.6, None, "500"), (2.5, 0.3, None)]
    part = bench.load_window(result, 1.0, 2.0)
    assert part.latencies == [0.2] and part.errors == {"500": 1} and part.elapsed == 1.0


def test_a_load_pass_fails_on_any_error_or_failed_import(tmp_path):
    def importer(returncode, summary):
        process = subprocess.Popen([sys.executable, "-c", f"raise SystemExit({returncode})"])
        process.wait()
        return bench.ImportRun(process, tmp_path / "out", 0.0, 1.0, summary=summary)

    good = {"imported": 2, "already": 0, "failed": 0}
    passed = bench.LoadPass("cold", 2, load=fake_load("/a/", 10, 0.1), importer=importer(0, good))
    assert passed.failures() == []
    errors = bench.LoadPass(
        "cold", 2, load=fake_load("/a/", 10, 0.1, {"timeout": 1}), importer=importer(0, good)
    )
    assert errors.failures() == ["1 request errors"]
    failed = {"imported": 1, "already": 0, "failed": 1}
    broken = bench.LoadPass("cold", 2, load=fake_load("/a/", 10, 0.1), importer=importer(1, failed))
    assert broken.failures() == ["import_dump exited with status 1", "1 of 2 dumps failed"]
    died = bench.LoadPass("cold", 2, load=fake_load("/a/", 10, 0.1), importer=importer(1, None))
    assert "import_dump printed no summary" in died.failures()
    assert bench.LoadPass("cold", 2).failures() == ["the load or the import did not run"]


def _children():
    """PIDs whose parent is this process (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts child processes in /proc")
@pytest.mark.django_db(transaction=True)
def test_the_load_test_runs_gunicorn_and_import_dump_together_and_stops_them(tmp_path):
    before = set(_children())
    call_command(
        "bench",
        "--load-test",
        "--load-cache=cold",
        "--load-dumps=2",
        "--load-connections=4",
        "--load-duration=1",
        "--load-headlines=50",
        "--articles=3",
        f"--results-dir={tmp_path}",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    [path] = tmp_path.iterdir()
    document = path.read_text()
    assert path.name.endswith("-load.md") and "**passed**: 0 errors, 0 failed imports" in document
    rows = [line for line in document.splitlines() if line.startswith("| cache cold")]
    assert len(rows) == 2 and "| 2 / 0 / 0 | 30 / 10 |" in rows[0]
    assert "the article page lists the last dump's newest headline" in document
    assert set(_children()) <= before  # gunicorn, its workers and import_dump are gone


def test_bad_load_test_arguments_are_refused():
    with pytest.raises(CommandError):
        call_command("bench", "--load-test", "--load-connections", "0")
    with pytest.raises(CommandError):
        call_command("bench", "--load-test", "--load-duration", "601")
