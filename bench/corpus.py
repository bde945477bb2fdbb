"""The bench's data: a generated corpus (rows in bulk) and generated dumps.

``corpus_generate`` writes rows in bulk (it is test data, not parsed dumps, so
it does not go through the ingest service): articles of about 6,700
characters in 12 paragraphs with 1-2 region and 1-3 topic tags, and headlines
of which 90 % carry a region, spread over sources, times and tags. The dumps
are in the format of docs/dump-format.md and go through the real parser and
ingest.
"""

import hashlib
import random
import textwrap
from datetime import datetime, timedelta

from django.core.management.color import no_style
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from articles.models import Article, ArticleRegion, ArticleTopic, RegionTag, Source, TopicTag
from articles.richtext import paragraphs_html
from articles.services import sources_recount, tags_ensure
from headlines.models import Headline, HeadlineRegion, HeadlineTopic, Story

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


def corpus_generate(*, articles, headlines, sources, seed, out=None, first_headline=0):
    """Write the corpus; ``first_headline`` > 0 adds headlines to one already written."""
    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        region_tags, _ = tags_ensure(model=RegionTag, names=REGIONS)
        topic_tags, _ = tags_ensure(model=TopicTag, names=TOPICS)
        regions = [region_tags[name] for name in REGIONS]
        topics = [topic_tags[name] for name in TOPICS]
        Source.objects.bulk_create(
            [
                Source(name=f"Corpus Wire {n}", slug=f"corpus-wire-{seed}-{n}")
                for n in range(sources)
            ],
            ignore_conflicts=True,
        )
        source_ids = list(
            Source.objects.filter(slug__startswith=f"corpus-wire-{seed}-").values_list(
                "pk", flat=True
            )
        )
    if not first_headline:
        _articles(rng, articles, seed, now, regions, topics, out)
    _headlines(rng, first_headline, headlines, seed, now, regions, topics, source_ids, out)
    sources_recount(source_ids=source_ids)  # rows written in bulk: their counts, once


def _articles(rng, count, seed, now, regions, topics, out):
    for start in range(0, count, BATCH):
        rows = []
        for n in range(start, min(start + BATCH, count)):
            paragraphs = [
                " ".join(sentence(rng, rng.randint(12, 16)) for _ in range(5)) for _ in range(12)
            ]
            rows.append(
                Article(
                    title=f"{sentence(rng, 8)[:-1]} ({seed}-{n})",
                    slug=f"corpus-{seed}-{n}",
                    dek=sentence(rng, 24),
                    body=paragraphs_html(paragraphs),
                    status=Article.Status.PUBLISHED,
                    published_at=now - timedelta(minutes=37 * n + 1),
                )
            )
        with transaction.atomic():
            Article.objects.bulk_create(rows, ignore_conflicts=True)
            made = dict(
                Article.objects.filter(slug__in=[a.slug for a in rows]).values_list("slug", "pk")
            )
            ArticleRegion.objects.bulk_create(
                [
                    ArticleRegion(content_object_id=made[a.slug], tag=tag)
                    for a in rows
                    for tag in rng.sample(regions, rng.randint(1, 2))
                ],
                ignore_conflicts=True,
            )
            ArticleTopic.objects.bulk_create(
                [
                    ArticleTopic(content_object_id=made[a.slug], tag=tag)
                    for a in rows
                    for tag in rng.sample(topics, rng.randint(1, 3))
                ],
                ignore_conflicts=True,
            )
        if out:
            out.write(f"articles: {min(start + BATCH, count):,} / {count:,}")


def _headlines(rng, first, count, seed, now, regions, topics, source_ids, out):
    # Stories of 1 to 3 consecutive headlines, as ingest groups them: every
    # headline has one. A separate generator keeps the headlines themselves
    # the same as before stories were added.
    story_rng = random.Random(seed + first + 1)
    for start in range(first, count, BATCH):
        rows, tags = [], []
        for n in range(start, min(start + BATCH, count)):
            title = f"{sentence(rng, rng.randint(7, 12))[:-1]} #{seed}-{n}"
            key = hashlib.sha256(f"corpus|{seed}|{n}".encode()).hexdigest()
            region = rng.choice(regions) if rng.random() < 0.9 else None
            published = now - timedelta(seconds=90 * n + 30)
            rows.append(
                Headline(
                    title=title,
                    title_key=key,
                    fingerprint=key,
                    summary=" ".join(sentence(rng) for _ in range(2)),
                    summary_truncated=rng.random() < 0.4,
                    published_at=published,
                    time_label=timezone.localtime(published).strftime("%m.%d / %H:%M"),
                    region_label=region.name[:12] if region else "",
                    source_id=rng.choice(source_ids) if source_ids and rng.random() < 0.6 else None,
                )
            )
            tags.append((key, region, rng.choice(topics)))
        with transaction.atomic():
            _stories(story_rng, rows)
            Headline.objects.bulk_create(rows, ignore_conflicts=True)
            made = dict(
                Headline.objects.filter(fingerprint__in=[h.fingerprint for h in rows]).values_list(
                    "fingerprint", "pk"
                )
            )
            HeadlineRegion.objects.bulk_create(
                [HeadlineRegion(content_object_id=made[k], tag=r) for k, r, _ in tags if r],
                ignore_conflicts=True,
            )
            HeadlineTopic.objects.bulk_create(
                [HeadlineTopic(content_object_id=made[k], tag=t) for k, _, t in tags],
                ignore_conflicts=True,
            )
        if out:
            out.write(f"headlines: {min(start + BATCH, count):,} / {count:,}")


def _stories(rng, headlines):
    """Group ``headlines`` (unsaved) into new stories of 1 to 3 consecutive copies."""
    groups, at = [], 0
    while at < len(headlines):
        size = rng.choice((1, 1, 2, 3))
        groups.append(headlines[at : at + size])
        at += size
    stories = Story.objects.bulk_create(
        [
            Story(
                title=group[-1].title,
                first_seen=group[-1].published_at,
                last_seen=group[0].published_at,
                size=len(group),
                outlets=len(group),
            )
            for group in groups
        ]
    )
    for story, group in zip(stories, groups, strict=True):
        for headline in group:
            headline.story_id = story.pk


# -- dumps ------------------------------------------------------------------------

OUTLETS = [
    "Gulf Daily Wire",
    "Nile Post",
    "Levant Herald",
    "Maghreb Times",
    "Cedar Press Agency",
    "Desert Star",
    "Tigris Tribune",
    "Atlas Wire",
]
LABELS = ["Middle Easte", "North Africa", "Gulf", "Levant", "Europe", "Business", "Sport"]


def bench_dump_text(number, *, headlines=20, seed=2017, start=None):
    """One page dump (docs/dump-format.md): an article and a list of headlines.

    Titles are distinct across ``number``s; times run newest first from
    ``start`` (naive, in TIME_ZONE; default late 2017) as ``MM.DD / HH:MM``, and
    the first summary carries a © year, so the parser dates every headline.
    """
    rng = random.Random(f"bench-dump|{seed}|{number}")
    title = f"{sentence(rng, 8)[:-1]} ({number})"
    lines = [title, "", title, f"  1. {title}", f"    {sentence(rng, 24)[:-1]}…"]
    lines += ["    Middle Easte", ""]
    paragraphs = [" ".join(sentence(rng, rng.randint(12, 16)) for _ in range(5)) for _ in range(12)]
    paragraphs[-1] = paragraphs[-1][:-1] + "…"
    for paragraph in paragraphs:
        lines += [paragraph, ""]
    if start is None:
        start = datetime(2017, 12, 28, 23, 59) - timedelta(
            minutes=(number * headlines * 3) % 400_000
        )
    year, moment = start.year, max(start, datetime(start.year, 1, 2))
    for position in range(1, headlines + 1):
        label = rng.choice(LABELS)
        headline = f"{sentence(rng, rng.randint(7, 12))[:-1]} #{number}.{position}"
        lines += [f"  {position}. {headline} - {label}", f"    {moment:%m.%d / %H:%M}"]
        summary = " ".join(sentence(rng) for _ in range(2))
        if position == 1 or rng.random() < 0.5:
            summary += f" © {rng.choice(OUTLETS)} {year}. All Rights Reserved."
        else:
            summary = summary[:-1] + "…"
        lines += [f"    {chunk}" for chunk in textwrap.wrap(summary, 100)]
        moment = max(moment - timedelta(minutes=rng.randint(1, 5)), datetime(year, 1, 1))
    return "\n".join(lines) + "\n"


def worst_parse_bytes(size):
    """About ``size`` bytes of the slowest dump per byte known: headlines as short as they go.

    Of the adversarial shapes of tests/test_parser_linear.py, all linear, this
    one does the most work per byte: a headline and its time line every ~28 bytes.
    """
    parts, total = [], 0
    while total < size:
        parts.append(f"  {len(parts) + 1}. T\n    03.28 / 21:10\n")
        total += len(parts[-1])
    return "".join(parts).encode()


def corpus_grow(*, headlines, out=None):
    """Grow the headlines (and their tag links) to ``headlines`` rows by copying, in SQL.

    Each pass copies up to every existing row under a new fingerprint made
    from the original's id, the database doing the work: a million-row
    corpus in seconds, where building each row in Python takes minutes.
    Copies keep their titles, times, sources and tags; each joins a copy of
    its story, so stories keep their sizes.
    """
    from django.db import connection

    quote = connection.ops.quote_name
    table, pk, key = quote(Headline._meta.db_table), quote("id"), quote("fingerprint")
    columns = [f.column for f in Headline._meta.concrete_fields if f.column != "id"]
    # The id and the pass make it unique; it stays within the column's 64 characters.
    copied = f"'c' || h.{pk} || %s || substr(h.{key}, 1, 40)"
    # Each copy joins a copy of its story: the story ids shifted by an offset.
    computed = {"fingerprint": copied, "story_id": f"h.{quote('story_id')} + %s"}
    chosen = [computed.get(c, f"h.{quote(c)}") for c in columns]
    story_table = quote(Story._meta.db_table)
    story_columns = [f.column for f in Story._meta.concrete_fields]
    story_chosen = [
        f"s.{pk} + %s" if c == "id" else "NULL" if c == "lead_id" else f"s.{quote(c)}"
        for c in story_columns
    ]
    rounds = 0
    while (count := Headline.objects.count()) < headlines:
        rounds += 1
        mark = f"r{rounds}-"
        last = Headline.objects.order_by("pk").values_list("pk", flat=True)[
            min(count, headlines - count) - 1
        ]
        offset = Story.objects.aggregate(top=Max("pk"))["top"] or 0
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {story_table} ({', '.join(quote(c) for c in story_columns)}) "
                f"SELECT {', '.join(story_chosen)} FROM {story_table} s WHERE s.{pk} IN "
                f"(SELECT h.{quote('story_id')} FROM {table} h WHERE h.{pk} <= %s)",
                [offset, last],
            )
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
                f"SELECT {', '.join(chosen)} FROM {table} h WHERE h.{pk} <= %s",
                [{"fingerprint": mark, "story_id": offset}[c] for c in columns if c in computed]
                + [last],
            )
            for model in (HeadlineRegion, HeadlineTopic):
                link = quote(model._meta.db_table)
                tag, item = quote("tag_id"), quote("content_object_id")
                cursor.execute(
                    f"INSERT INTO {link} ({tag}, {item}) SELECT l.{tag}, c.{pk} "
                    f"FROM {link} l JOIN {table} h ON h.{pk} = l.{item} "
                    f"JOIN {table} c ON c.{key} = {copied} WHERE h.{pk} <= %s",
                    [mark, last],
                )
            # A last, partial pass may cut one story: its copy holds fewer.
            cut = Headline.objects.filter(pk=last).values_list("story_id", flat=True)[0] + offset
            held = Headline.objects.filter(story_id=cut).count()
            Story.objects.filter(pk=cut).update(size=held, outlets=held)
        if out:
            out.write(f"headlines: {Headline.objects.count():,} / {headlines:,}")
    with connection.cursor() as cursor:  # ids were written by hand: PostgreSQL's counter
        for sql in connection.ops.sequence_reset_sql(no_style(), [Story]):
            cursor.execute(sql)
    sources_recount(source_ids=list(Source.objects.values_list("pk", flat=True)))
