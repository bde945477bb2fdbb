"""Source.headline_count and last_seen_at, kept on the row (issue 20), filled from the headlines."""

from django.db import migrations, models
from django.db.models import Count, Max, OuterRef, Subquery


def fill(apps, schema_editor):
    source = apps.get_model("articles", "Source")
    same = source.objects.filter(pk=OuterRef("pk")).order_by()
    source.objects.update(
        headline_count=Subquery(same.annotate(n=Count("headlines")).values("n")[:1]),
        last_seen_at=Subquery(
            same.annotate(last=Max("headlines__published_at")).values("last")[:1]
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0015_review_autosave_presence"),
        ("headlines", "0007_editors_story_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="source",
            name="headline_count",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="headlines"),
        ),
        migrations.AddField(
            model_name="source",
            name="last_seen_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="last seen"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
