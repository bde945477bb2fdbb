"""Fill the folded keys of tags and keywords, and re-fold source aliases in every script.

The folding functions are copied here as they were when this migration was
written, so that a later change to them cannot change what it does.
"""

import re
import unicodedata

from django.db import migrations


def tag_key(name):
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())[:200]


def normalize_name(name):
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.casefold().replace("&", " and ")
    folded = " ".join(re.sub(r"\W+", " ", text).split())
    return (folded or " ".join(text.split()))[:300]


def fill(apps, schema_editor):
    for model_name in ("RegionTag", "TopicTag"):
        model = apps.get_model("articles", model_name)
        seen = set()
        for tag in model.objects.order_by("pk"):
            key = tag_key(tag.name)
            # Two tags that only differ in a way LOWER() missed ("Ürdün",
            # "ürdün" on SQLite) keep apart here; an editor merges them.
            tag.key = key if key not in seen else f"{key}#{tag.pk}"[-200:]
            seen.add(tag.key)
            tag.save(update_fields=["key"])
    keyword_model = apps.get_model("articles", "TopicKeyword")
    seen = set()
    for keyword in keyword_model.objects.order_by("pk"):
        key = tag_key(keyword.keyword)
        if (key, keyword.topic_id) in seen:
            keyword.delete()  # the same keyword of the same topic twice
            continue
        seen.add((key, keyword.topic_id))
        keyword.key = key
        keyword.save(update_fields=["key"])
    alias_model = apps.get_model("articles", "SourceAlias")
    taken = set(alias_model.objects.values_list("normalized", flat=True))
    for alias in alias_model.objects.order_by("pk"):
        key = normalize_name(alias.name)
        if key and key != alias.normalized and key not in taken:
            taken.add(key)
            alias.normalized = key
            alias.save(update_fields=["normalized"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0006_tag_keys")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
