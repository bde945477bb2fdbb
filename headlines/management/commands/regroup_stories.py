"""``manage.py regroup_stories [--since DATE] [--dry-run]``: group headlines into stories again.

For a threshold change, or for headlines imported before story grouping.
Headlines an editor merged or split stay where the editor put them.
"""

import sys
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from headlines.models import Headline
from headlines.services import stories_regroup


def _since(value):
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--since: “{value}” is not a date like 2017-03-28.") from error
    return timezone.make_aware(datetime.combine(day, time.min))


class Command(BaseCommand):
    help = "Group headlines into stories again, keeping editors' merges and splits."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only headlines published on or after YYYY-MM-DD")
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")

    def handle(self, *args, since=None, dry_run=False, **options):
        since = _since(since) if since else None
        headlines = Headline.objects.filter(published_at__isnull=False)
        if since is not None:
            headlines = headlines.filter(published_at__gte=since)
        with tqdm(
            total=headlines.count(),
            unit="headline",
            disable=not sys.stderr.isatty(),
            file=sys.stderr,
        ) as bar:
            total, moved = stories_regroup(since=since, dry_run=dry_run, progress=bar.update)
        verb = "would move" if dry_run else "moved"
        self.stdout.write(f"{total} headlines regrouped, {moved} {verb} to another story.")
