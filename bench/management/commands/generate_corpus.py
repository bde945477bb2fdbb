"""manage.py generate_corpus: a large, realistic, deterministic corpus for load tests.

See ``bench.corpus.corpus_generate`` for what it writes.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from bench.corpus import corpus_generate


class Command(BaseCommand):
    help = "Generate N articles and M headlines of realistic size (bulk, deterministic)."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=1000)
        parser.add_argument("--headlines", type=int, default=100_000)
        parser.add_argument("--sources", type=int, default=200)
        parser.add_argument("--seed", type=int, default=2017)

    def handle(self, *args, articles, headlines, sources, seed, **options):
        if min(articles, headlines, sources) < 0 or headlines > 5_000_000:
            raise CommandError("Counts must be positive; at most 5,000,000 headlines.")
        started = time.monotonic()
        corpus_generate(
            articles=articles, headlines=headlines, sources=sources, seed=seed, out=self.stdout
        )
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")
