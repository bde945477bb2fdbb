from django.apps import AppConfig


class BenchConfig(AppConfig):
    """`manage.py bench` and `generate_corpus`: the top layer, above newsroom."""

    name = "bench"
    verbose_name = "Benchmark"
