from django.apps import AppConfig


class RefnewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "refnews"
    verbose_name = "News (Wagtail reference)"
