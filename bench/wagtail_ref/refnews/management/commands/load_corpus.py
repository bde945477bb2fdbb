"""manage.py load_corpus: the bench's corpus, same sizes and text as bench/corpus.py's.

Articles: pages under /articles/ (``add_child`` one by one: Wagtail's pages are
multi-table models, which ``bulk_create`` refuses; treebeard keeps the paths),
about 6,700 characters in 12 paragraphs, 1-2 region and 1-3 topic tags
(the tag links in bulk). Headlines: ``bulk_create`` in batches, one every
90 s back from now, 90 % with a region, 60 % with an outlet. Prints, last, a
JSON line with the newest article's path and the counts.
"""

import json
import random
import time
from datetime import timedelta
from html import escape

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from taggit.models import Tag
from wagtail.models import Site

from refnews.models import ArticleIndexPage, ArticlePage, ArticlePageTag, Headline

# The vocabulary of bench/corpus.py (that module imports Newsroom's models, so it is copied).
REGIONS = ["Middle East", "North Africa", "Gulf", "Levant", "Europe", "Africa", "Asia", "Americas"]
TOPICS = ["Politics", "Security", "Economy", "Energy", "Diplomacy", "Sport", "Culture", "Media"]
WORDS = (
    "government minister talks border oil prices water ceasefire election parliament "
    "protest court economy growth exports investment airline port refugees reform "
    "budget central bank inflation summit delegation agreement security forces city "
    "province reconstruction energy grid drought harvest tourism start-up league coach"
).split()
BATCH = 5000


def sentence(rng, words=14):
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


class Command(BaseCommand):
    help = "Fill the reference site with the bench's corpus (articles as pages, headlines)."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=1000)
        parser.add_argument("--headlines", type=int, default=100_000)
        parser.add_argument("--sources", type=int, default=200)
        parser.add_argument("--seed", type=int, default=2017)

    def handle(self, *args, articles, headlines, sources, seed, **options):
        rng = random.Random(seed)
        now = timezone.now()
        started = time.monotonic()
        index = self.site_and_index()
        tags = {}
        for name in REGIONS + TOPICS:
            tags[name], _ = Tag.objects.get_or_create(name=name, defaults={"slug": name.lower()})
        pages = self.articles(rng, index, articles, seed, now, tags)
        pages_seconds = time.monotonic() - started
        self.headlines(rng, headlines, seed, now, sources)
        newest = pages[0] if pages else None
        found = {
            "path": newest.get_url_parts()[2] if newest else None,
            "articles": ArticlePage.objects.count(),
            "headlines": Headline.objects.count(),
            "pages_seconds": round(pages_seconds, 1),
            "seconds": round(time.monotonic() - started, 1),
        }
        self.stdout.write(json.dumps(found))

    def site_and_index(self):
        """The default site (wagtail's own root page) named, and /articles/ under it, in menus."""
        site = Site.objects.get(is_default_site=True)
        if site.site_name != "Newsroom":
            site.site_name = "Newsroom"
            site.save()
        root = site.root_page
        index = ArticleIndexPage.objects.child_of(root).filter(slug="articles").first()
        if index is None:
            index = root.add_child(
                instance=ArticleIndexPage(title="Articles", slug="articles", show_in_menus=True)
            )
        return index

    def articles(self, rng, index, count, seed, now, tags):
        regions = [tags[name] for name in REGIONS]
        topics = [tags[name] for name in TOPICS]
        made, links = [], []
        with transaction.atomic():
            for n in range(count):
                paragraphs = [
                    " ".join(sentence(rng, rng.randint(12, 16)) for _ in range(5))
                    for _ in range(12)
                ]
                published = now - timedelta(minutes=37 * n + 1)
                page = index.add_child(
                    instance=ArticlePage(
                        title=f"{sentence(rng, 8)[:-1]} ({seed}-{n})",
                        slug=f"corpus-{seed}-{n}",
                        intro=sentence(rng, 24),
                        body="".join(f"<p>{escape(p)}</p>" for p in paragraphs),
                        published_at=published,
                        first_published_at=published,
                        last_published_at=published,
                    )
                )
                chosen = rng.sample(regions, rng.randint(1, 2)) + rng.sample(
                    topics, rng.randint(1, 3)
                )
                links += [ArticlePageTag(content_object_id=page.pk, tag=tag) for tag in chosen]
                made.append(page)
                if (n + 1) % 250 == 0:
                    self.stderr.write(f"articles: {n + 1:,} / {count:,}")
            ArticlePageTag.objects.bulk_create(links)
        return made

    def headlines(self, rng, count, seed, now, sources):
        outlets = [f"Corpus Wire {n}" for n in range(sources)]
        for start in range(0, count, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, count)):
                region = rng.choice(REGIONS) if rng.random() < 0.9 else ""
                rows.append(
                    Headline(
                        title=f"{sentence(rng, rng.randint(7, 12))[:-1]} #{seed}-{n}",
                        url=f"https://wire.example/{seed}/{n}",
                        source_name=rng.choice(outlets) if rng.random() < 0.6 else "",
                        region=region[:12],
                        summary=" ".join(sentence(rng) for _ in range(2)),
                        published_at=now - timedelta(seconds=90 * n + 30),
                    )
                )
            with transaction.atomic():
                Headline.objects.bulk_create(rows)
            self.stderr.write(f"headlines: {min(start + BATCH, count):,} / {count:,}")
