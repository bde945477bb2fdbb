"""manage.py create_editor: an editor account in the Editors group, password printed once."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the editor account (Editors group) and print its random password once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Editor account {username!r} exists (password printed when it was made; "
                f"reset it with: python manage.py changepassword {username})."
            )
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(username=username, password=password, is_staff=True)
        user.groups.add(Group.objects.get(name="Editors"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Editor account created: username {username!r}, password {password}"
            )
        )
