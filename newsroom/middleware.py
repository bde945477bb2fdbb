"""A clear 503 page when the database cannot be reached, instead of a 500.

When PostgreSQL is stopped, restarting or out of connections (or the SQLite
file cannot be opened), every view that queries fails with
``OperationalError`` or ``InterfaceError``. This middleware turns those into
``503 Service Unavailable`` with a ``Retry-After`` header, rendered from
``public_templates/503.html``: a standalone page whose rendering touches no database
(no request context, no sidebar). Nothing is half-written, since each request
runs its writes in a transaction; when the database is back, the next request
opens a fresh connection (``CONN_HEALTH_CHECKS``) and the site works again.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    """Answer 503 (with ``Retry-After``) when a view fails to reach the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "database unavailable during %s %s: %s",
            request.method,
            request.path,
            " ".join(str(exception).split()),
        )
        response = HttpResponse(
            render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}),
            status=503,
            content_type="text/html; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        add_never_cache_headers(response)
        return response
