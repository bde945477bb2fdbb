"""Shared fixtures. Hypothesis runs 2,000 examples per property in `make test`."""

import gc
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLE = FIXTURES / "samples" / "000_8a9194f29d0be173.txt"


# Linear-time tests build an input at two sizes 10x apart. Linear work takes
# about 10x as long, n log n about 13x, quadratic about 100x: 30x separates them
# with room for a shared machine (CI saw 21x on a linear input).
GROWTH_LIMIT = 30


def _best_seconds(run, arg, *, runs, at_least=0.0):
    """CPU seconds of the fastest of ``runs`` calls (more while under ``at_least``
    in all), the collector paused: a full collection of the test process's heap
    is noise, not the code under test."""
    times = []
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        while len(times) < runs or time.process_time() - started < at_least:
            begin = time.process_time()
            run(arg)
            times.append(time.process_time() - begin)
    finally:
        gc.enable()
    return min(times)


@pytest.fixture
def assert_linear_time():
    """``assert_linear_time(run, small, large)``: fails unless ``run(large)``, on an
    input 10x ``small``, takes at most GROWTH_LIMIT times as long. Measured up to
    three times (another process may have taken the core), the lowest ratio kept."""

    def check(run, small, large, *, what="10x the input"):
        run(small)
        run(large)  # first-use costs (regex and stop-word caches, fresh heap arenas) out
        ratio = float("inf")
        for _ in range(3):
            small_time = _best_seconds(run, small, runs=5, at_least=0.1)
            large_time = _best_seconds(run, large, runs=3)
            ratio = min(ratio, large_time / max(small_time, 1e-4))
            if ratio <= GROWTH_LIMIT:
                return
        raise AssertionError(f"{what} took {ratio:.0f}x the time (limit {GROWTH_LIMIT}x)")

    return check


@pytest.fixture
def sample_bytes():
    return SAMPLE.read_bytes()


def editors_group():
    """The Editors group of the data migration, made again if a transactional
    test flushed it (a flush re-creates permissions, not data migrations)."""
    from importlib import import_module

    from django.contrib.auth.models import Group, Permission

    group, created = Group.objects.get_or_create(name="Editors")
    if created:
        migration = import_module("newsroom.migrations.0001_editors_group")
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=f"{action}_{model}")
            for app, model, actions in migration.EDITOR_PERMISSIONS
            for action in actions
        )
        stories = import_module("headlines.migrations.0007_editors_story_permissions")
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="headlines", codename__in=stories.STORY_PERMISSIONS
            )
        )
        _grant_batch_permissions(group)
        group.permissions.add(
            Permission.objects.get(content_type__app_label="articles", codename="publish_article")
        )
    return group


@pytest.fixture
def editor(db, django_user_model):
    """A staff user in the Editors group, as `make run` creates."""
    user = django_user_model.objects.create_user("ed", password="pw-ed-12345", is_staff=True)
    user.groups.add(editors_group())
    return user


def _grant_batch_permissions(group):
    """Batch permissions (newsroom 0002), for a group re-made after a flush."""
    from importlib import import_module

    from django.contrib.auth.models import Permission

    batches = import_module("newsroom.migrations.0002_editors_batch_permissions")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="articles", codename__in=batches.BATCH_PERMISSIONS
        )
    )


def reporters_group():
    """The Reporters group of the data migration (made again after a flush)."""
    from importlib import import_module

    from django.contrib.auth.models import Group, Permission

    group, created = Group.objects.get_or_create(name="Reporters")
    if created:
        migration = import_module("newsroom.migrations.0003_reporters_group")
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in migration.REPORTER_PERMISSIONS
        )
    return group


@pytest.fixture
def reporter(db, django_user_model):
    """A staff user in the Reporters group: writes, submits, never publishes."""
    user = django_user_model.objects.create_user("rep", password="pw-rep-12345", is_staff=True)
    user.groups.add(reporters_group())
    return user


@pytest.fixture(autouse=True)
def _page_cache_process_state():
    """The page cache's per-process copies do not outlive a test (tests clear the cache)."""
    from newsroom.cache import forget_local

    forget_local()
