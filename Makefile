# Newsroom: the README's two commands are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

.PHONY: run test lint check serve bench bench-tools loadtest clean worker bench-queue

# The venv is rebuilt when a requirements file changes.
$(BIN)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(BIN)/.dev: $(BIN)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(BIN)/.runtime
	$(MANAGE) migrate --noinput
	$(MANAGE) create_editor
	$(MANAGE) import_dump --publish samples/
	@echo "Serving Newsroom on http://127.0.0.1:8000/ (admin: http://127.0.0.1:8000/admin/)"
	@# A batch worker beside the server, stopped with it (Ctrl-C or exit).
	$(MANAGE) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(MANAGE) runserver 127.0.0.1:8000

lint: $(BIN)/.dev
	$(BIN)/ruff check .

check: $(BIN)/.dev
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

test: lint check
	$(BIN)/pytest

# Production mode on this machine: gunicorn behind no proxy, plain HTTP on
# loopback. Needs DJANGO_SECRET_KEY; HTTPS redirect off unless asked for.
serve: export DJANGO_DEBUG ?= 0
serve: export DJANGO_SSL_REDIRECT ?= 0
serve: export DJANGO_ALLOWED_HOSTS ?= 127.0.0.1,localhost
# WhiteNoise serves static files only: on one host Django serves the uploaded
# lead images too (behind nginx or with object storage, set SERVE_MEDIA=0; README).
serve: export SERVE_MEDIA ?= 1
serve: $(BIN)/.runtime
	@test -n "$$DJANGO_SECRET_KEY" || { echo "make serve: set DJANGO_SECRET_KEY (production settings)"; exit 2; }
	$(MANAGE) collectstatic --noinput -v 0
	$(MANAGE) migrate --noinput
	# granian (Rust HTTP, keep-alive): 2-3x gunicorn gthread, 7x sync on the bench's bare view.
	$(BIN)/granian --interface wsgi --no-ws --host 127.0.0.1 --port $${PORT:-8000} \
		--workers $${WEB_CONCURRENCY:-2} --blocking-threads 1 --access-log newsroom.wsgi:application

# A benchmark, not a test: prints a table and writes it to bench/results/.
# Its page stage builds .venv-wagtail (the Wagtail 8 reference, bench/README.md)
# when missing; without network it says so and goes on (or BENCH_ARGS=--skip-wagtail).
bench: $(BIN)/.dev bench-tools
	$(MANAGE) bench $(BENCH_ARGS)

# By hand, not part of `make test`: the page rows for 60 s at 64 connections,
# one of them while a dump imports every second (no 1M corpus).
loadtest: $(BIN)/.dev bench-tools
	$(MANAGE) bench --skip-big --duration 60 --connections 64

# Debian's wrk (the load) and redis-server (the cached rows' page cache), when missing;
# apt's lists are read once if the install fails without them (a fresh machine).
BENCH_TOOLS = $(strip $(if $(shell command -v wrk),,wrk) $(if $(shell command -v redis-server),,redis-server))
bench-tools:
	@test -z "$(BENCH_TOOLS)" || { SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get install -y -qq $(BENCH_TOOLS) >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(BENCH_TOOLS); }; }

clean:
	rm -rf $(VENV) .venv-wagtail .pytest_cache .ruff_cache staticfiles

# One batch-import worker (more: run it again, here or on other hosts).
worker: $(BIN)/.runtime
	$(MANAGE) migrate --noinput
	$(MANAGE) worker

# 300 dumps through the queue against import_dump of the same folder.
bench-queue: $(BIN)/.dev
	$(BIN)/python bench/queue_bench.py $(BENCH_QUEUE_ARGS)
