"""WSGI entry point of the Wagtail reference site (granian serves ``refsite.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "refsite.settings")

application = get_wsgi_application()
