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
    "DJANGO_BEHIND_PROXY",
    "DJANGO_SSL_REDIRECT",
)


def manage_check(tmp_path, **changes):
    """Run ``manage.py check`` with the environment plus ``changes`` (None unsets)."""
    return manage(tmp_path, "check", **changes)


def manage(tmp_path, *command, **changes):
    """Run ``manage.py *command`` with the environment plus ``changes`` (None unsets)."""
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
        [sys.executable, "manage.py", *command],
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


def production(**changes):
    """Production settings: debug off, a secret key, one host."""
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "newsroom.example",
        **changes,
    }


@pytest.mark.parametrize("behind_proxy", [None, "1"], ids=["no-proxy", "behind-proxy"])
def test_production_settings_pass_the_deploy_check(tmp_path, behind_proxy):
    result = manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **production(DJANGO_BEHIND_PROXY=behind_proxy),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# robots.txt twice, as `make serve` answers it: first with a forged (or a
# proxy's) X-Forwarded-Proto: https, then without it.
ROBOTS_TWICE = """
from django.test import Client
for proto in ("https", None):
    extra = {"HTTP_X_FORWARDED_PROTO": proto} if proto else {}
    response = Client().get("/robots.txt", HTTP_HOST="newsroom.example", **extra)
    assert response.status_code == 200, response.status_code
    print([line for line in response.content.decode().splitlines() if line.startswith("Sitemap:")])
"""


@pytest.mark.parametrize(
    ("behind_proxy", "expected"),
    [
        (None, ["http", "http"]),  # the default: a client's header is not trusted
        ("0", ["http", "http"]),
        ("1", ["https", "http"]),  # each scheme has its own cached page
    ],
    ids=["default", "off", "on"],
)
def test_x_forwarded_proto_counts_only_behind_a_proxy(tmp_path, behind_proxy, expected):
    env = production(DJANGO_BEHIND_PROXY=behind_proxy, DJANGO_SSL_REDIRECT="0")  # as make serve
    migrated = manage(tmp_path, "migrate", "--noinput", "-v", "0", **env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    result = manage(tmp_path, "shell", "-c", ROBOTS_TWICE, **env)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if "Sitemap:" in line]
    assert lines == [
        f"['Sitemap: {scheme}://newsroom.example/sitemap.xml', "
        f"'Sitemap: {scheme}://newsroom.example/sitemap-news.xml']"
        for scheme in expected
    ]
