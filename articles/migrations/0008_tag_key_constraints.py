from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("articles", "0007_fill_tag_keys")]

    operations = [
        migrations.RemoveConstraint(model_name="regiontag", name="regiontag_name_ci_unique"),
        migrations.RemoveConstraint(model_name="topictag", name="topictag_name_ci_unique"),
        migrations.RemoveConstraint(model_name="topickeyword", name="topickeyword_unique"),
        migrations.AlterField(
            model_name="regiontag",
            name="key",
            field=models.CharField(
                editable=False, max_length=200, unique=True, verbose_name="folded name"
            ),
        ),
        migrations.AlterField(
            model_name="topictag",
            name="key",
            field=models.CharField(
                editable=False, max_length=200, unique=True, verbose_name="folded name"
            ),
        ),
        migrations.AddConstraint(
            model_name="topickeyword",
            constraint=models.UniqueConstraint(
                fields=("key", "topic"), name="topickeyword_key_unique"
            ),
        ),
    ]
