"""manage.py import_dump PATH...: ingest dump files, folders or standard input."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from newsroom.ingest import Status, dump_ingest
from newsroom.management.commands.parse_dump import (
    capture_date,
    dump_label,
    parse_zone,
    read_input,
)

DUMP_SUFFIXES = (".txt", ".html", ".htm")  # text captures and saved pages


def dump_paths(arguments):
    """Expand the arguments into files, in sorted order; folders recursively (*.txt, *.html)."""
    paths = []
    for argument in arguments:
        if argument == "-":
            paths.append("-")
            continue
        path = Path(argument)
        if path.is_dir():
            found = sorted(
                str(p) for p in path.rglob("*") if p.suffix in DUMP_SUFFIXES and p.is_file()
            )
            if not found:
                raise CommandError(
                    f"{argument}: no *.txt or *.html dump files in this folder", returncode=2
                )
            paths.extend(found)
        elif path.is_file():
            paths.append(argument)
        else:
            raise CommandError(f"{argument}: no such file or folder", returncode=2)
    return paths


def describe(result):
    """One line saying what one dump did."""
    if result.status == Status.FAILED:
        where = f":{result.error_line}" if result.error_line else ""
        return f"FAILED  {result.filename}{where}: {result.error}"
    if result.status == Status.ALREADY:
        return f"SKIPPED {result.filename}: already imported, nothing changed"
    verb = "WOULD   " if result.status == Status.DRY_RUN else "OK      "
    parts = []
    for name, tally in (("article", result.articles), ("headlines", result.headlines)):
        if tally.created or tally.updated or tally.unchanged:
            parts.append(
                f"{name} {tally.created} created, {tally.updated} updated, "
                f"{tally.unchanged} unchanged"
            )
    parts.append(f"sources {result.sources.created} created")
    if result.warnings:
        parts.append(f"{len(result.warnings)} warnings (first at line {result.warnings[0].line})")
    if result.conflicts:
        parts.append(f"{len(result.conflicts)} editor edits kept")
    return f"{verb}{result.filename}: " + "; ".join(parts)


class Command(BaseCommand):
    help = "Import page dumps (files, folders of *.txt and *.html, or - for stdin)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--dry-run", action="store_true", help="parse and report, write nothing"
        )
        parser.add_argument("--captured-at", help="capture date YYYY-MM-DD of the dumps")
        parser.add_argument("--source", help="the outlet of the dumps' articles")
        parser.add_argument("--publish", action="store_true", help="publish the articles now")
        parser.add_argument("--time-zone", help="zone of the dumps' times (default: TIME_ZONE)")

    def handle(self, *args, paths, dry_run, captured_at, source, publish, time_zone, **options):
        captured = capture_date(captured_at) if captured_at else None
        if time_zone:
            parse_zone(time_zone)
        files = dump_paths(paths)
        totals = Totals()
        progress = tqdm(files, unit="dump", disable=not sys.stderr.isatty(), file=sys.stderr)
        for path in progress:
            label = dump_label(path)
            try:
                data = read_input(path)
                result = dump_ingest(
                    data=data,
                    filename=label,
                    captured_at=captured,
                    source=source,
                    publish=publish,
                    dry_run=dry_run,
                    time_zone=time_zone,
                )
            except CommandError as error:
                totals.unreadable += 1
                self.report(progress, f"FAILED  {error}")
                continue
            except DatabaseError as error:
                reason = " ".join(str(error).split())  # psycopg adds hint lines
                raise CommandError(f"{label}: database unavailable: {reason}") from None
            totals.add(result)
            self.report(progress, describe(result))
            for conflict in result.conflicts:
                self.report(progress, f"        {conflict}")
        self.stdout.write(totals.table(dry_run))
        if totals.failed:
            raise CommandError(f"{totals.failed} of {len(files)} dumps failed", returncode=1)

    def report(self, progress, line):
        with progress.external_write_mode():
            self.stdout.write(line)


class Totals:
    """The closing summary of an import run."""

    def __init__(self):
        self.by_status = {}
        self.unreadable = 0
        self.rows = {kind: [0, 0, 0] for kind in ("articles", "headlines")}
        self.sources = 0

    def add(self, result):
        self.by_status[result.status] = self.by_status.get(result.status, 0) + 1
        for kind, tally in (("articles", result.articles), ("headlines", result.headlines)):
            row = self.rows[kind]
            row[0] += tally.created
            row[1] += tally.updated
            row[2] += tally.unchanged
        self.sources += result.sources.created

    @property
    def failed(self):
        return self.by_status.get(Status.FAILED, 0) + self.unreadable

    def table(self, dry_run):
        done = Status.DRY_RUN if dry_run else Status.IMPORTED
        lines = [
            "",
            "Summary" + (" (dry run: nothing was written)" if dry_run else ""),
            f"  dumps      {self.by_status.get(done, 0)} {done}, "
            f"{self.by_status.get(Status.ALREADY, 0)} already imported, {self.failed} failed",
            f"  {'':9}  {'created':>8} {'updated':>8} {'unchanged':>9}",
        ]
        for kind, (created, updated, unchanged) in self.rows.items():
            lines.append(f"  {kind:9}  {created:>8} {updated:>8} {unchanged:>9}")
        lines.append(f"  {'sources':9}  {self.sources:>8}")
        return "\n".join(lines)
