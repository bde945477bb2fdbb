"""newsroom.settings reads its deployment values from the environment.

Each case runs ``manage.py check`` in a fresh process, because settings are read
once at import time. The subprocesses use a SQLite file and a var/ directory in
tmp_path, so they touch neither the checkout's var/ nor the test database.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Inherited values that would change the outcome of these checks.
CLEARED = (
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "CACHE_URL",
    "DATABASE_URL",
    "NEWSROOM_VAR_DIR",
)


def manage_check(tmp_path, **changes):
    """Run ``manage.py check`` with the environment plus ``changes`` (None unsets)."""
    env = {key: value for key, value in os.environ.items() if key not in CLEARED}
    env["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    env["NEWSROOM_VAR_DIR"] = str(tmp_path / "var")
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_production_without_secret_key_refuses_to_start(tmp_path, secret_key):
    var_dir = tmp_path / "var"

    result = manage_check(
        tmp_path,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS="newsroom.example",
    )

    assert result.returncode != 0, result.stdout + result.stderr
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr
    # Production never falls back to (or creates) a generated key file.
    assert not (var_dir / "secret_key").exists()


def test_production_with_secret_key_and_hosts_passes_check(tmp_path):
    result = manage_check(
        tmp_path,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="newsroom.example,www.newsroom.example",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert not (tmp_path / "var" / "secret_key").exists()


def test_debug_generates_secret_key_file_once_and_reuses_it(tmp_path):
    key_file = tmp_path / "var" / "secret_key"
    assert not key_file.exists()

    first = manage_check(tmp_path, DJANGO_DEBUG="1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert key_file.is_file()
    key = key_file.read_text()
    assert len(key.strip()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0  # private to its owner

    second = manage_check(tmp_path, DJANGO_DEBUG="1")
    assert second.returncode == 0, second.stdout + second.stderr
    assert key_file.read_text() == key
