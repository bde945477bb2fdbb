"""Editors see and correct stories (merge, split, choose the lead): view and change."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STORY_PERMISSIONS = ("view_story", "change_story")


def grant(apps, schema_editor):
    app_config = apps.get_app_config("headlines")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Editors").first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="headlines", codename__in=STORY_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("headlines", "0006_drop_story_key"),
        ("newsroom", "0001_editors_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
