"""manage.py watch_inbox [DIR]: import every dump dropped into a folder (see newsroom.inbox)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from newsroom.inbox import Inbox


class Command(BaseCommand):
    help = "Watch a folder: import each complete dump once, move it to done/ or failed/."

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", default=None, help="default: INBOX_DIR")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
        parser.add_argument("--polls", type=int, default=None, help="stop after N polls")

    def handle(self, *args, directory, interval, polls, **options):
        directory = directory or settings.INBOX_DIR
        if not directory:
            raise CommandError("Name the folder to watch, or set INBOX_DIR.")
        inbox = Inbox(directory)
        self.stdout.write(f"Watching {inbox.directory} every {interval:g} s.")
        count = 0
        while polls is None or count < polls:
            for name, status in inbox.poll():
                self.stdout.write(f"{name}: {status}")
            count += 1
            if polls is None or count < polls:
                time.sleep(interval)
