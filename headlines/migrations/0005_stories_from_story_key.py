"""Headlines that shared a ``story_key`` become one Story; the grouping's state is built.

The terms and document frequencies come from headlines/grouping.py, so that
later imports compare new headlines with these stories as with any other.
"""

from django.db import migrations

from headlines import grouping

BATCH = 500


def forwards(apps, schema_editor):
    Headline = apps.get_model("headlines", "Headline")
    Story = apps.get_model("headlines", "Story")
    TermFrequency = apps.get_model("headlines", "TermFrequency")
    groups, frequencies = {}, {}
    headlines = Headline.objects.order_by("published_at", "pk").only(
        "pk", "title", "credit", "published_at", "source_id", "story_key"
    )
    total = 0
    for headline in headlines.iterator(chunk_size=2000):
        headline.story_terms = grouping.title_terms(headline.title, headline.credit)
        for term in headline.story_terms:
            frequencies[term] = frequencies.get(term, 0) + 1
        total += 1
        groups.setdefault(headline.story_key or f"#{headline.pk}", []).append(headline)
    stories = []
    for members in groups.values():
        moments = [h.published_at for h in members if h.published_at is not None]
        counts = {}
        for headline in members:
            for term in headline.story_terms:
                counts[term] = counts.get(term, 0) + 1
        outlets = sorted(
            {f"source:{h.source_id}" for h in members if h.source_id}
            | {
                f"credit:{' '.join(h.credit.casefold().split())[:100]}"
                for h in members
                if not h.source_id and h.credit.strip()
            }
        )
        stories.append(
            Story(
                title=members[0].title,
                first_seen=min(moments, default=None),
                last_seen=max(moments, default=None),
                size=len(members),
                outlets=len(outlets),
                outlet_keys=outlets,
                term_counts=counts,
            )
        )
    Story.objects.bulk_create(stories, batch_size=BATCH)
    changed = []
    for story, members in zip(stories, groups.values(), strict=True):
        for headline in members:
            headline.story_id = story.pk
            headline.story_reason = "same title" if len(members) > 1 else "first of its story"
            changed.append(headline)
    Headline.objects.bulk_update(
        changed, ["story", "story_reason", "story_terms"], batch_size=BATCH
    )
    rows = [TermFrequency(term=t[:100], headlines=n) for t, n in frequencies.items()]
    rows.append(TermFrequency(term="", headlines=total))
    TermFrequency.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


def backwards(apps, schema_editor):
    Headline = apps.get_model("headlines", "Headline")
    rows = list(Headline.objects.exclude(story=None).only("pk", "story_id"))
    for headline in rows:
        headline.story_key = f"story-{headline.story_id}"
    Headline.objects.bulk_update(rows, ["story_key"], batch_size=BATCH)
    # Forwards builds them again from the keys.
    apps.get_model("headlines", "Story").objects.all().delete()
    apps.get_model("headlines", "TermFrequency").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("headlines", "0004_stories")]

    operations = [migrations.RunPython(forwards, backwards)]
