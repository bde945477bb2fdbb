"""As `wagtail start` makes them: the admins, documents, then Wagtail's page serving."""

from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # Everything else: wagtail.views.serve, the last pattern.
    path("", include(wagtail_urls)),
]
