"""Production settings pass Django's deploy checks and send the security headers."""

import os
import secrets
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "news.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "no issues" in done.stdout.decode()


@pytest.mark.django_db
def test_responses_carry_csp_nosniff_frame_and_hsts_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/admin/login/", secure=True)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] in {"DENY", "SAMEORIGIN"}
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
