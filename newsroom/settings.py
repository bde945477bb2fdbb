"""Newsroom settings: one module, every deployment value read from the environment.

Development works with no environment at all (debug on, SQLite in ``var/``, a
secret key generated once into ``var/secret_key``). Production sets
``DJANGO_DEBUG=0`` and must then provide ``DJANGO_SECRET_KEY`` and
``DJANGO_ALLOWED_HOSTS``.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NEWSROOM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def development_secret_key():
    """A random key made once per checkout, kept out of git in var/."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def cache_from_url(url):
    """CACHE_URL: locmem:// (default), dummy://, db://table, redis://host:port/db."""
    parts = urlsplit(url)
    if parts.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "newsroom"}
    if parts.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if parts.scheme == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": parts.netloc or "newsroom_cache",
        }
    if parts.scheme in {"redis", "rediss"}:
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url.split("?", 1)[0],
            "KEY_PREFIX": options.get("prefix", "newsroom"),
        }
    raise ImproperlyConfigured(f"CACHE_URL: unsupported scheme {parts.scheme!r} in {url!r}")


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production)."
        )
    SECRET_KEY = development_secret_key()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "csp",
    "taggit",
    "reversion",
    "django_prose_editor",
    "django_tasks",
    "django_tasks_db",
    "bench",  # manage.py bench and generate_corpus, above every layer
    # Our layers, top to bottom: newsroom -> headlines -> articles.
    "newsroom",
    "headlines",
    "articles",
]

MIDDLEWARE = [
    # Page-cache hits are answered here, before the sessions/auth/CSRF they do not
    # need; first, so that the pages it stores carry every header the others add.
    "newsroom.cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "newsroom.middleware.DatabaseUnavailableMiddleware",
]

# No page of ours needs inline script or any third-party origin.
# The admin (the editors' desk) runs under this same policy, not one of its own:
# Django 5.2's admin has no inline script or style, so it needs no nonce or hash.
# Its unlabelled inputs are named server-side (aria-label via widget attrs,
# articles/admin_a11y.py) and its CSS fixes are static/admin/newsroom.css; the one
# script is static/admin/desk-a11y.js, because select2 and the rich-text editor
# build their markup in the browser and only a script can name it (a static
# file: no nonce needed). tests/browser/test_desk_a11y.py checks every desk page.
# The rich-text editor is the exception: its import map (an inline script) is
# allowed by its nonce and TipTap's base CSS (an inline style) by its hash
# (tests/test_richtext.py recomputes it from the installed editor.js).
EDITOR_STYLE_HASH = "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, EDITOR_STYLE_HASH],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    # The public site (public_templates/ in Jinja2, newsroom/templating.py); the admin below.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "public_templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "newsroom.templating.environment"},
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Django's, with the plain <input> widgets written in Python (the changelists' checkboxes).
FORM_RENDERER = "newsroom.form_rendering.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'newsroom.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets readers (the admin) run while an import writes; IMMEDIATE takes
    # the write lock up front so two writers queue instead of deadlocking.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not shared-cache memory, so tests see the same locking as production.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", "locmem://"))}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Uploaded media (lead images) served by Django itself: on under `make run`
# (DEBUG) and `make serve` (one host). WhiteNoise serves static files only; a
# production site serves MEDIA_ROOT from its web server or object storage (README).
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TAGGIT_CASE_INSENSITIVE = True
# Comma-only tag parsing: "Middle East" is one tag (articles/tags.py).
TAGGIT_TAGS_FROM_STRING = "articles.tags.tags_parse"
TAGGIT_STRING_FROM_TAGS = "articles.tags.tags_join"

# Uploads: a dump is text; anything past these limits is refused with a message.
DUMP_MAX_BYTES = int(os.environ.get("DUMP_MAX_BYTES", str(5 * 1024 * 1024)))
IMAGE_MAX_BYTES = int(os.environ.get("IMAGE_MAX_BYTES", str(10 * 1024 * 1024)))
# The dump editor posts its text multipart (not percent-encoded), and browsers
# send a textarea's newlines as CRLF: a text of DUMP_MAX_BYTES is at most twice
# that on the wire; 1 MB more covers the other fields. Files do not count here;
# their number and each one's size have their own limits.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * DUMP_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A morning's folder of dumps selected at once on the ingest page (300 is usual);
# files past FILE_UPLOAD_MAX_MEMORY_SIZE go to temporary files, not memory.
DATA_UPLOAD_MAX_NUMBER_FILES = 1000

SIDEBAR_HEADLINES = int(os.environ.get("SIDEBAR_HEADLINES", "20"))

# Batch ingest: dumps are imported by `manage.py worker` processes through the
# task queue, whose jobs live in the same database (enqueued in the same
# transaction as the batch). See README, "Batch ingest".
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Uploads of more dumps than this skip the preview and become a batch.
BATCH_PREVIEW_MAX = int(os.environ.get("BATCH_PREVIEW_MAX", "10"))
# A job "running" for longer than this is taken as lost with its worker and requeued.
BATCH_STALE_SECONDS = int(os.environ.get("BATCH_STALE_SECONDS", "300"))
# Zip uploads: limits against zip bombs (the compressed upload may be ZIP_MAX_BYTES).
ZIP_MAX_BYTES = int(os.environ.get("ZIP_MAX_BYTES", str(50 * 1024 * 1024)))
ZIP_MAX_MEMBERS = int(os.environ.get("ZIP_MAX_MEMBERS", "2000"))
ZIP_MAX_TOTAL_BYTES = int(os.environ.get("ZIP_MAX_TOTAL_BYTES", str(500 * 1024 * 1024)))
ZIP_MAX_RATIO = int(os.environ.get("ZIP_MAX_RATIO", "100"))
# The folder `manage.py watch_inbox` watches when given none.
INBOX_DIR = os.environ.get("INBOX_DIR", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

if not DEBUG:
    # Trust X-Forwarded-Proto only when told a proxy sets it: without one any
    # client could send it and make pages (and the page cache) name https URLs.
    if env_bool("DJANGO_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
