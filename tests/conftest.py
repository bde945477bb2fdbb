"""Shared fixtures. Hypothesis runs 2,000 examples per property in `make test`."""

import os
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


@pytest.fixture
def assert_linear_time():
    """``assert_linear_time(run, small, large)``: fails unless ``run(large)``, on an
    input 10x ``small``, takes at most GROWTH_LIMIT times as long (tests/linear_time.py),
    timed in this process."""
    from linear_time import GROWTH_LIMIT, growth

    def check(run, small, large, *, what="10x the input"):
        ratio = growth(run, small, large)
        assert ratio <= GROWTH_LIMIT, f"{what} took {ratio:.0f}x the time (limit {GROWTH_LIMIT}x)"

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
