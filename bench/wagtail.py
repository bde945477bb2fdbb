"""The Wagtail 8 reference site (bench/wagtail_ref/): its virtualenv, database and corpus.

It runs in a virtualenv of its own, ``.venv-wagtail`` (gitignored), built
here on first use with pinned Wagtail and the granian (and gunicorn) of our
requirements.txt: nothing of it is importable by Newsroom, nor Newsroom by it.
Every step is a subprocess of that venv's Python; a step that fails raises
``Unavailable`` with the reason, and the bench goes on without the reference.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT = Path(__file__).with_name("wagtail_ref")
VENV = BASE_DIR / ".venv-wagtail"
WAGTAIL = "wagtail==8.0.1"
APP = "refsite.wsgi:application"
BUILD_TIMEOUT = 900


class Unavailable(Exception):
    pass


def pinned(name):
    """``name==version`` as our requirements.txt pins it (the same server as ours)."""
    text = (BASE_DIR / "requirements.txt").read_text()
    found = re.search(rf"^{re.escape(name)}==(\S+)", text, re.MULTILINE | re.IGNORECASE)
    if not found:
        raise Unavailable(f"{name} is not pinned in requirements.txt")
    return f"{name}=={found.group(1)}"


def requirements():
    return [WAGTAIL, pinned("granian"), pinned("gunicorn")]


def bin_dir():
    return VENV / "bin"


def ensure_venv(log):
    """Build (or bring up to the pins) ``.venv-wagtail``; return the seconds it took (0: ready)."""
    wanted = requirements()
    marker = VENV / ".bench-requirements"
    if marker.exists() and marker.read_text().split() == wanted:
        return 0.0
    started = time.monotonic()
    python = bin_dir() / "python"
    try:
        if not python.exists():
            log(f"wagtail: python -m venv {VENV}")
            run([sys.executable, "-m", "venv", str(VENV)], timeout=120)
        log(f"wagtail: {VENV.name}/bin/pip install {' '.join(wanted)}")
        run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            + ["--retries", "2", "--timeout", "30", *wanted],
            timeout=BUILD_TIMEOUT,
        )
    except Unavailable as error:
        raise Unavailable(f"{VENV.name} could not be built: {error}") from None
    marker.write_text("\n".join(wanted) + "\n")
    return time.monotonic() - started


def run(command, *, env=None, timeout=600):
    """Run a command; its stdout, or ``Unavailable`` with the end of its output."""
    try:
        done = subprocess.run(
            command,
            env=env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Unavailable(f"{Path(command[0]).name}: {error}") from None
    if done.returncode:
        tail = [line[:200] for line in (done.stderr or done.stdout).strip().splitlines()[-2:]]
        raise Unavailable(f"exit {done.returncode}: {' / '.join(tail)}")
    return done.stdout


def env(database, secret):
    """The reference's environment: its own settings and database, nothing of ours."""
    drop = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CACHE_URL", "PYTHONPATH", "VIRTUAL_ENV"}
    base = {key: value for key, value in os.environ.items() if key not in drop}
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "refsite.settings",
        "DJANGO_SECRET_KEY": secret,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "WAGTAIL_REF_DATABASE": str(database),
        "PYTHONPATH": str(PROJECT),
    }


def manage(environment, *args, timeout=600):
    return run([str(bin_dir() / "python"), "manage.py", *args], env=environment, timeout=timeout)


def last_json(text):
    lines = [line for line in text.strip().splitlines() if line.startswith("{")]
    if not lines:
        raise Unavailable(f"no JSON in {text[-300:]!r}")
    return json.loads(lines[-1])


def prepare(tmp, *, articles, headlines, secret, log):
    """Venv, migrated SQLite in ``tmp``, the corpus; a dict of env, path and timings."""
    facts = {"venv_seconds": ensure_venv(log)}
    environment = env(Path(tmp) / "wagtail.sqlite3", secret)
    started = time.monotonic()
    log("wagtail: migrate")
    manage(environment, "migrate", "--noinput", "-v", "0")
    facts["migrate_seconds"] = time.monotonic() - started
    log(f"wagtail: load_corpus --articles {articles} --headlines {headlines}")
    started = time.monotonic()
    loaded = last_json(
        manage(
            environment,
            "load_corpus",
            "--articles",
            str(articles),
            "--headlines",
            str(headlines),
        )
    )
    facts["load_seconds"] = time.monotonic() - started
    facts["pages_seconds"] = loaded["pages_seconds"]
    facts["path"] = loaded["path"]
    if not facts["path"]:
        raise Unavailable("the corpus has no article")
    facts["page"] = last_json(manage(environment, "page_facts", facts["path"]))
    if facts["page"]["status"] != 200:
        raise Unavailable(f"{facts['path']} answered {facts['page']['status']}")
    facts["env"] = environment
    return facts
