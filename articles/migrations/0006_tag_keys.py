"""Tags and topic keywords get a folded ``key`` (NFKC + casefold, computed in Python).

Three steps in three migrations, so that PostgreSQL never alters a table in
the transaction that updated its rows: add the columns (not yet unique), fill
them, then make them unique in place of the LOWER() constraints.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_list_order_indexes")]

    operations = [
        migrations.AddField(
            model_name=model,
            name="key",
            field=models.CharField(default="", editable=False, max_length=200, verbose_name=label),
            preserve_default=False,
        )
        for model, label in (
            ("regiontag", "folded name"),
            ("topictag", "folded name"),
            ("topickeyword", "folded keyword"),
        )
    ]
