"""Seed the topic vocabulary and its keyword lexicon (editable in the admin)."""

import json
from pathlib import Path

from django.db import migrations
from django.utils.text import slugify

# The seed lexicon ships as a data file; after this, editors own it in the admin.
LEXICON = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "topics.json").read_text(encoding="utf-8")
)


def seed(apps, schema_editor):
    TopicTag = apps.get_model("articles", "TopicTag")
    TopicKeyword = apps.get_model("articles", "TopicKeyword")
    for name, keywords in LEXICON.items():
        topic, _ = TopicTag.objects.get_or_create(name=name, defaults={"slug": slugify(name)})
        TopicKeyword.objects.bulk_create(
            [TopicKeyword(topic=topic, keyword=keyword) for keyword in keywords],
            ignore_conflicts=True,
        )


def unseed(apps, schema_editor):
    apps.get_model("articles", "TopicKeyword").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
