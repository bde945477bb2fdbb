"""manage.py bench: the one table of bench/README.md. The work is in bench/run.py."""

import sys
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand

from bench.run import Bench
from bench.servers import DEFAULT_SERVER, SERVERS


class Command(BaseCommand):
    help = "Measure imports, the parser and the public pages on a generated corpus (one table)."

    def add_arguments(self, parser):
        add = parser.add_argument
        add("--articles", type=int, default=1000)
        add("--headlines", type=int, default=100_000)
        add("--big-headlines", type=int, default=1_000_000)
        add("--skip-big", action="store_true")
        add("--skip-wagtail", action="store_true", help="no Wagtail reference (bench/wagtail_ref)")
        add("--duration", type=float, default=10.0, help="seconds of load per row")
        add("--connections", type=int, default=32)
        add("--workers", type=int, default=2)
        add("--server", choices=sorted(SERVERS), default=DEFAULT_SERVER)
        add("--dumps", type=int, default=50)
        add("--dump-headlines", type=int, default=20)
        add("--parse-headlines", type=int, default=10_000)
        add("--results-dir", default="bench/results")

    def handle(self, *args, **options):
        options["duration"] = min(max(options["duration"], 1.0), 600.0)  # every load bounded
        options["connections"] = min(max(options["connections"], 1), 1000)

        def log(text):
            print(text, file=sys.stderr, flush=True)

        text = Bench(options=options, log=log).run()
        self.stdout.write(text)
        results = Path(options["results_dir"])
        results.mkdir(parents=True, exist_ok=True)
        (results / f"{datetime.now(UTC):%Y-%m-%dT%H-%M-%SZ}.md").write_text(text)
