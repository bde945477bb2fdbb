"""`manage.py bench` runs: its pieces at tiny sizes. It measures nothing here.

The benchmark itself is never part of the suite (it takes minutes and its
numbers depend on the machine); these tests only prove that the code works.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from bench import measure, run, servers
from bench.corpus import bench_dump_text
from newsroom.dumps import parse_dump

BODY = b"<!doctype html><title>bench</title>" + b"<p>Words of an article.</p>" * 200


def test_generated_dumps_parse_cleanly_with_distinct_titles():
    first = parse_dump(bench_dump_text(1, headlines=20))
    second = parse_dump(bench_dump_text(2, headlines=20))
    assert first.warnings == [] and second.warnings == []
    assert first.article is not None and len(first.article.paragraphs) == 12
    assert len(first.headlines) == 20
    titles = {h.title for h in first.headlines} | {h.title for h in second.headlines}
    assert len(titles) == 40


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed")
def test_wrk_loads_the_static_app_under_the_server_which_is_then_stopped(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(BODY)
    env = dict(os.environ, BENCH_STATIC_FILE=str(page), PYTHONPATH=str(Path.cwd()))
    with servers.serving(
        "bench.bare:static_app", env=env, workers=1, log_path=tmp_path / "server.log"
    ) as port:
        found = servers.wrk(port, "/", seconds=1, connections=2, warmup=0)
    assert found.requests > 0 and found.errors == 0 and 0 < found.p50 <= found.p99
    assert found.bytes >= found.requests * len(BODY)
    assert abs(sum(share for _, share in found.quantiles) - 1) < 1e-6
    assert servers.merged([found]).p99 == pytest.approx(found.p99, rel=0.05, abs=1e-4)
    with pytest.raises(OSError):
        servers.urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)


def load(requests, quantiles):
    return servers.Load(requests, 1.0, 0, 0.0, 0.0, 0, quantiles=tuple(quantiles))


def test_runs_of_a_page_are_pooled_by_their_requests_not_by_the_worst_tail():
    # 10,000 requests at 1 ms, and a short run of 100 whose slowest 2 % took 50 ms:
    # 2 slow requests of 10,100 are not the p99 of the page (the worst run's p99 was).
    steady = load(10_000, [(0.001, 1.0)])
    short = load(100, [(0.001, 0.98), (0.050, 0.02)])
    both = servers.merged([steady, short])
    assert both.requests == 10_100
    assert both.p50 == both.p99 == 0.001
    # Where slow requests are more than 1 % of all of them, they are the p99.
    slow = servers.merged([steady, load(300, [(0.001, 0.5), (0.050, 0.5)])])
    assert slow.p50 == 0.001 and slow.p99 == 0.050


@pytest.mark.django_db
def test_the_import_measurement_runs_the_ingest_and_raw_writes():
    from articles.models import Article, Dump

    found = measure.measure_import(dumps=2, per_dump=3)
    assert found["ingest"].count == 2 and found["ingest"].failures == 0
    assert found["ingest"].units == found["raw"].units == found["floor"].units == 6
    # The floor's rows are gone before the ingest runs: it meets the tables raw left.
    assert not Dump.objects.filter(filename__startswith="bench-floor").exists()
    assert not Article.objects.filter(slug__startswith="bench-floor").exists()
    assert found["ingest"].queries > 0
    assert all(timed.rate() > 0 for timed in found.values())


def test_the_parse_measurement(tmp_path):
    found = measure.measure_parse(tmp_path, headlines=30, seconds=0.05)
    assert found["parse"].failures == 0
    assert found["parse"].rate() > 0 and found["read"].rate() > 0 and found["worst"].rate() > 0


@pytest.mark.django_db(transaction=True)
def test_a_throwaway_database_is_made_and_dropped(tmp_path):
    from articles.models import Source

    before = connection.settings_dict["NAME"]
    with run.throwaway_database(tmp_path, "smoke") as url:
        assert connection.settings_dict["NAME"] != before
        Source.objects.create(name="Only here", slug="only-here")
        if connection.vendor == "sqlite":
            assert url.startswith("sqlite:///") and Path(url[10:]).exists()
    assert connection.settings_dict["NAME"] == before
    assert not Source.objects.filter(slug="only-here").exists()


def test_the_table_is_markdown_with_verdicts():
    rows = [
        run.Row(
            "page | cold", "1 headline", "5 req/s", ratio="50%", target=run.verdict("cached", 0.5)
        )
    ]
    lines = run.table(
        ["measurement", "size", "throughput", "p50", "p99", "errors", "SQL", "ratio", "target"],
        rows,
    ).splitlines()
    assert len(lines) == 3 and lines[0].startswith("| measurement |")
    assert "page \\| cold" in lines[2] and "NOT met" in lines[2]
    assert "met" in run.verdict("growth", 1.1) and "NOT" not in run.verdict("growth", 1.1)


@pytest.mark.django_db
def test_the_corpus_groups_headlines_into_stories_and_grows_with_them():
    from bench.corpus import corpus_generate, corpus_grow
    from headlines.models import Headline, Story

    corpus_generate(articles=2, headlines=40, sources=3, seed=5)
    assert not Headline.objects.filter(story=None).exists()
    sizes = {s.pk: s.size for s in Story.objects.all()}
    assert 1 <= min(sizes.values()) and max(sizes.values()) <= 3 and len(sizes) < 40
    corpus_grow(headlines=100)
    assert Headline.objects.count() == 100
    assert not Headline.objects.filter(story=None).exists()
    # Every story, original or copy, holds as many headlines as its size says.
    for story in Story.objects.annotate(held=Count("headlines")):
        assert story.held == story.size, story.pk
    Story.objects.create(title="After the copies")  # the id counter was moved past them
