"""The "Editors" group: exactly the permissions the editors' desk needs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# (app_label, model, actions)
EDITOR_PERMISSIONS = [
    ("articles", "article", ("add", "change", "view")),
    ("articles", "source", ("add", "change", "view")),
    ("articles", "sourcealias", ("add", "change", "view", "delete")),
    ("articles", "dump", ("add", "change", "view")),
    ("articles", "dumpedit", ("view",)),
    ("articles", "regiontag", ("add", "change", "view", "delete")),
    ("articles", "topictag", ("add", "change", "view", "delete")),
    ("articles", "topickeyword", ("add", "change", "view", "delete")),
    ("headlines", "headline", ("add", "change", "view", "delete")),
    ("headlines", "headlineappearance", ("view",)),
]


def create_editors_group(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    codenames = [
        (app, f"{action}_{model}")
        for app, model, actions in EDITOR_PERMISSIONS
        for action in actions
    ]
    permissions = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in codenames
    ]
    group.permissions.set(permissions)


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("articles", "0001_initial"),
        ("headlines", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_editors_group, remove_editors_group)]
