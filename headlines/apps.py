from django.apps import AppConfig


class HeadlinesConfig(AppConfig):
    name = "headlines"
    verbose_name = "Headlines"
