"""The ceilings the pages are measured against, each serving the article's bytes from memory.

``bench.bare:static_app`` is a plain WSGI app (what any server adds, no
framework); ``bench.bare:application`` is a bare Django project with one view
and no middleware (the least Django can do for a page). Both read the file
named by ``BENCH_STATIC_FILE`` once per worker.
"""

import os
from pathlib import Path

BODY = (
    Path(os.environ["BENCH_STATIC_FILE"]).read_bytes() if "BENCH_STATIC_FILE" in os.environ else b""
)
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def static_app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]


def page(request, anything=""):
    from django.http import HttpResponse

    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


def _django_application():
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.urls import path

    global urlpatterns
    urlpatterns = [path("", page), path("<path:anything>", page)]
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-bare-view",  # noqa: S106 - a throwaway app that has no secrets
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
    )
    return get_wsgi_application()


urlpatterns = []
application = _django_application() if os.environ.get("BENCH_BARE_DJANGO") else None
