"""Plain bodies (paragraphs separated by blank lines) become rich text: one <p>
of *escaped* text a paragraph, exactly as ingest now writes them, so that a
later import of the same dump finds the body unchanged."""

import html
import re

from django.db import migrations, models

BATCH = 500


def plain_to_html(text):
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    # The same as articles.richtext.paragraphs_html, frozen here: a migration
    # must not change when the module does.
    import nh3

    joined = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return nh3.clean(joined, tags={"p"}, attributes={}).strip() if joined else ""


def html_to_plain(value):
    blocks = re.split(r"</(?:p|h2|h3|li|blockquote)>", value or "")
    texts = (html.unescape(re.sub(r"<[^>]+>", "", block)).strip() for block in blocks)
    return "\n\n".join(text for text in texts if text)


def convert(function):
    def run(apps, schema_editor):
        Article = apps.get_model("articles", "Article")
        rows = Article.objects.exclude(body="").order_by("pk").values_list("pk", "body")
        last = 0
        # Batches by primary key: no cursor stays open while rows are updated.
        while batch := list(rows.filter(pk__gt=last)[:BATCH]):
            last = batch[-1][0]
            changed = [Article(pk=pk, body=function(body)) for pk, body in batch]
            Article.objects.bulk_update(changed, ["body"])

    return run


class Migration(migrations.Migration):
    dependencies = [("articles", "0011_batches")]

    operations = [
        migrations.AlterField(
            model_name="article",
            name="body",
            field=models.TextField(
                blank=True,
                help_text="Paragraphs, links, bold and italic, subheadings, quotes and lists.",
                verbose_name="body",
            ),
        ),
        migrations.RunPython(convert(plain_to_html), convert(html_to_plain), elidable=False),
    ]
