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
def sample_bytes():
    return SAMPLE.read_bytes()


@pytest.fixture
def editor(db, django_user_model):
    """A staff user in the Editors group, as `make run` creates."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("ed", password="pw-ed-12345", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user
