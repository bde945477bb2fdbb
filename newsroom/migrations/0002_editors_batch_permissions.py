"""Editors upload batches, watch them, retry and cancel: add, change and view."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

BATCH_PERMISSIONS = ("add_batch", "change_batch", "view_batch")


def grant(apps, schema_editor):
    app_config = apps.get_app_config("articles")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Editors").first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="articles", codename__in=BATCH_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0001_editors_group"),
        ("articles", "0011_batches"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
