"""In-process measurements: import against raw bulk_create, parse against read, queries per page."""

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article, Dump
from articles.richtext import paragraphs_html
from headlines.models import Headline, HeadlineAppearance, fingerprint, title_key
from newsroom.dumps import parse_dump
from newsroom.ingest import Status, dump_ingest

from .corpus import bench_dump_text, worst_parse_bytes


@dataclass
class Timed:
    count: int  # dumps, or runs
    units: int  # headlines, or bytes
    seconds: float
    per_item: list = field(default_factory=list)  # seconds per dump
    failures: int = 0
    queries: int = 0  # per dump

    def rate(self):
        return self.units / self.seconds


def headline_rows(parsed, zone):
    """The Headline objects a raw bulk_create writes for one parsed dump (fingerprints made)."""
    rows = []
    for item in parsed.headlines:
        published = timezone.make_aware(item.published_at, zone) if item.published_at else None
        rows.append(
            Headline(
                title=item.title[:500],
                title_key=title_key(item.title),
                fingerprint=fingerprint(item.title, published),
                summary=item.summary or "",
                summary_truncated=item.summary_truncated,
                published_at=published,
                time_label=item.time_label or "",
                region_label=item.region_label or "",
                credit=item.credit or "",
            )
        )
    return rows


def measure_import(*, dumps, per_dump):
    """``{"ingest": Timed, "raw": Timed, "floor": Timed}``: the ingest service against
    raw bulk_create, and against the least an import must write (``floor_rows``).

    Raw runs first, one committed transaction per dump, as the ingest's are
    (until 2026-12-03 it was rolled back: the commit the ingest pays was not
    counted against it); its rows are deleted after its clock stops, so the
    ingest then starts on the same empty tables. The floor runs next, on the
    ingest's own dumps, its rows deleted the same way. One
    dump is ingested first, unmeasured, to pay first-use costs. Both run with
    DEBUG off, as imports do in production (with it on, Django logs every
    query, and on SQLite quotes each one's parameters in one more query); the
    queries are counted on one more dump, after the clock.
    """
    from django.test.utils import CaptureQueriesContext, override_settings

    texts = [bench_dump_text(n, headlines=per_dump) for n in range(dumps + 2)]
    counted = texts.pop()
    dump_ingest(data=texts.pop(0).encode(), filename="bench-warmup.txt")
    zone = timezone.get_default_timezone()
    parsed = [parse_dump(text) for text in texts]
    total = sum(len(p.headlines) for p in parsed)

    raw, times, failures = [], [], 0
    with override_settings(DEBUG=False):
        for item in parsed:
            rows = headline_rows(item, zone)
            begin = time.perf_counter()
            with transaction.atomic():
                Headline.objects.bulk_create(rows)
            raw.append(time.perf_counter() - begin)
            Headline.objects.filter(pk__in=[row.pk for row in rows]).delete()
        floor = []
        for number, text in enumerate(texts, start=1):
            begin = time.perf_counter()
            dump = floor_rows(text.encode(), number, zone)
            floor.append(time.perf_counter() - begin)
            Headline.objects.filter(appearances__dump=dump).delete()
            Article.objects.filter(dump=dump).delete()
            dump.delete()
        for number, text in enumerate(texts, start=1):
            begin = time.perf_counter()
            result = dump_ingest(data=text.encode(), filename=f"bench-{number:04d}.txt")
            times.append(time.perf_counter() - begin)
            failures += result.status != Status.IMPORTED
    with CaptureQueriesContext(connection) as captured:
        dump_ingest(data=counted.encode(), filename="bench-counted.txt")
    return {
        "raw": Timed(len(raw), total, sum(raw), raw),
        "floor": Timed(len(floor), total, sum(floor), floor),
        "ingest": Timed(len(times), total, sum(times), times, failures, len(captured)),
    }


def floor_rows(data, number, zone):
    """The least an import of ``data`` must write, timed by the caller: the parse,
    then in one transaction the Dump with its bytes, the Article, the Headlines
    and their appearances, in bulk through the ORM. No lookup (so no
    idempotence), no grouping, tags, sources or revision. Returns the Dump."""
    parsed = parse_dump(data)
    article = parsed.article
    with transaction.atomic():
        dump = Dump.objects.create(
            raw=data,
            checksum=hashlib.sha256(data).hexdigest(),
            filename=f"bench-floor-{number:04d}.txt",
            status=Dump.Status.IMPORTED,
        )
        Article.objects.create(
            title=article.title[:300],
            slug=f"bench-floor-{number}",
            dek=article.dek or "",
            body=paragraphs_html(article.paragraphs),
            dump=dump,
            imported_at=timezone.now(),
        )
        rows = Headline.objects.bulk_create(headline_rows(parsed, zone))
        appearances = [
            HeadlineAppearance(headline=row, dump=dump, position=n) for n, row in enumerate(rows, 1)
        ]
        HeadlineAppearance.objects.bulk_create(appearances)
    return dump


def repeat(function, *, seconds=1.0, at_least=3):
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
    """parse_dump on one big dump file against reading and decoding it; the worst shape too."""
    path = Path(tmp) / "big-dump.txt"
    path.write_text(bench_dump_text(0, headlines=headlines), encoding="utf-8")
    size = path.stat().st_size
    warnings = len(parse_dump(path.read_bytes()).warnings)
    parse_time, parse_runs = repeat(lambda: parse_dump(path.read_bytes()), seconds=seconds)
    read_time, read_runs = repeat(
        lambda: path.read_bytes().decode("utf-8"), seconds=seconds, at_least=20
    )
    worst = worst_parse_bytes(size)
    worst_time, worst_runs = repeat(lambda: parse_dump(worst), seconds=seconds)
    return {
        "parse": Timed(parse_runs, size, parse_time, failures=warnings),
        "read": Timed(read_runs, size, read_time),
        "worst": Timed(worst_runs, len(worst), worst_time),
    }


def count_queries(paths, *, client=None):
    """``{path: (status, queries)}`` of one request each, cache off, after one unmeasured GET."""
    from django.conf import settings
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    found = {}
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
        STORAGES=storages,
        ALLOWED_HOSTS=["testserver"],
        SECURE_SSL_REDIRECT=False,
    ):
        client = client or Client(raise_request_exception=False)
        for path in paths:
            client.get(path)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            found[path] = (response.status_code, len(queries))
    return found
