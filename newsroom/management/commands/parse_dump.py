"""manage.py parse_dump FILE: print what the parser reads in a dump, as JSON."""

import json
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from newsroom.dumps import DumpError, parse_dump


def read_input(path):
    """The raw bytes of FILE, or of standard input for "-"."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        raise CommandError(f"{path}: is a directory, not a dump file") from None
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except OSError as error:
        raise CommandError(f"{path}: cannot read: {error.strerror}") from None


def dump_label(path):
    return "<stdin>" if path == "-" else path


def argument_error(message, label=None):
    """A bad command-line argument: exit status 2, the dump named when there is one."""
    return CommandError(f"{label}: {message}" if label else message, returncode=2)


def capture_date(value, label=None):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argument_error(
            f"--captured-at {value!r}: expected a date as YYYY-MM-DD", label
        ) from None


def parse_zone(name, label=None):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise argument_error(f"--time-zone {name!r}: unknown time zone", label) from None


class Command(BaseCommand):
    help = "Parse a page dump and print the result as JSON (see dump-format.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", help='the dump file, or "-" for standard input')
        parser.add_argument("--captured-at", help="capture date YYYY-MM-DD: fixes the year")
        parser.add_argument("--time-zone", help="zone of the times (default: TIME_ZONE)")

    def handle(self, *args, file, captured_at=None, time_zone=None, **options):
        label = dump_label(file)
        captured = capture_date(captured_at, label) if captured_at else None
        zone = parse_zone(time_zone or settings.TIME_ZONE, label)
        data = read_input(file)
        try:
            parsed = parse_dump(data, captured_at=captured, today=datetime.now(zone).date())
        except DumpError as error:
            where = f"{dump_label(file)}:{error.line}" if error.line else dump_label(file)
            raise CommandError(f"{where}: {error.message}") from None
        text = json.dumps(parsed.as_json(), ensure_ascii=False, indent=2)
        sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
