"""Full-text search of headlines: a GIN index on PostgreSQL, nothing elsewhere.

The index is on the very expression ``headlines.selectors.HEADLINE_SEARCH_VECTOR``
queries. It is not declared in ``Headline.Meta``: SQLite cannot build a GIN
index, and it rebuilds every declared index whenever it remakes the table.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX = "headline_search_idx"


def vector():
    return SearchVector("title", "summary", config="english")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        model = apps.get_model("headlines", "Headline")
        schema_editor.add_index(model, GinIndex(vector(), name=INDEX))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        model = apps.get_model("headlines", "Headline")
        schema_editor.remove_index(model, GinIndex(vector(), name=INDEX))


class Migration(migrations.Migration):
    dependencies = [("headlines", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
