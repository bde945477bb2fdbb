"""WSGI entry point for Newsroom."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

application = get_wsgi_application()

# Page-cache hits this process holds are answered before Django parses the request.
from newsroom.cache import page_cache_wsgi  # noqa: E402 - needs the settings above

application = page_cache_wsgi(application)
