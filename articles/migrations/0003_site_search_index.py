"""Full-text search of articles: a GIN index on PostgreSQL, nothing elsewhere.

The index is on the very expression ``headlines.selectors.ARTICLE_SEARCH_VECTOR``
queries, which is the only way PostgreSQL uses an expression index. It is
not declared in ``Article.Meta``: SQLite cannot build a GIN index, and it
rebuilds every declared index whenever it remakes the table.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX = "article_search_idx"


def vector():
    return SearchVector("title", "dek", "body", config="english")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        model = apps.get_model("articles", "Article")
        schema_editor.add_index(model, GinIndex(vector(), name=INDEX))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        model = apps.get_model("articles", "Article")
        schema_editor.remove_index(model, GinIndex(vector(), name=INDEX))


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_topic_lexicon")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
