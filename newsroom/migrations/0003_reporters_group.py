"""The "Reporters" group: write and edit drafts and submit them for review, but
never publish, schedule or unpublish (no ``publish_article``); Editors get
``publish_article`` (they approve)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# (app_label, codename)
REPORTER_PERMISSIONS = [
    ("articles", "add_article"),
    ("articles", "change_article"),
    ("articles", "view_article"),
    ("articles", "view_source"),
    ("articles", "view_regiontag"),
    ("articles", "view_topictag"),
    ("headlines", "view_headline"),
]
EDITOR_EXTRA = [("articles", "publish_article")]


def permissions(Permission, pairs):
    return [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in pairs
    ]


def create(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reporters, _ = Group.objects.get_or_create(name="Reporters")
    reporters.permissions.set(permissions(Permission, REPORTER_PERMISSIONS))
    editors = Group.objects.filter(name="Editors").first()
    if editors is not None:
        editors.permissions.add(*permissions(Permission, EDITOR_EXTRA))


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Reporters").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0002_editors_batch_permissions"),
        ("articles", "0015_review_autosave_presence"),
        ("headlines", "0007_editors_story_permissions"),
    ]

    operations = [migrations.RunPython(create, remove)]
