# Palermo: `make demo` runs it on http://127.0.0.1:8000, `make test` checks everything.
# Both install what is missing first (as root, Debian packages too), so they work on a fresh machine.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.NOTPARALLEL:

PYTHON_BOOTSTRAP ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PALERMO := $(VENV)/bin/palermo
PYTEST := $(VENV)/bin/pytest
PYTHON_STAMP := $(VENV)/.installed-stamp
NPM_STAMP := node_modules/.installed-stamp
BUNDLE := palermo/web/static/build/main.js
ASSET_SOURCES := package.json package-lock.json $(wildcard palermo/web/assets/*)
VAR_DIR := $(or $(PALERMO_VAR_DIR),var)

# pytest-xdist workers; PYTEST_ARGS adds options to both runs (e.g. PYTEST_ARGS="-k person").
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
SERVE_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0

# Installs the Debian packages named in $(1) ("check-command:package …") whose check fails.
# As root it runs apt-get (update once, then install); otherwise it says what to install.
define install_missing
	@missing=""; \
	for pair in $(1); do \
	  check="$${pair%%:*}"; package="$${pair#*:}"; \
	  eval "$$check" >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "Missing system packages:$$missing. As root: apt-get install$$missing" >&2; exit 1; \
	  fi; \
	  echo "==> Installing Debian packages:$$missing"; \
	  $(APT_GET) update && $(APT_GET) install --no-install-recommends $$missing; \
	fi
endef
NODE := 'command -v npm':npm
GETTEXT := 'command -v msgfmt':gettext
POSTGRESQL := 'ls /usr/lib/postgresql/*/bin/pg_ctl':postgresql
CHROMIUM := 'test -x /usr/bin/chromium':chromium

# Used only when gettext's msgfmt is absent: polib (a dependency) writes the same .mo files.
define COMPILE_WITH_POLIB
import pathlib, polib
for po in sorted(pathlib.Path("palermo").glob("**/locale/*/LC_MESSAGES/*.po")):
    polib.pofile(str(po)).save_as_mofile(str(po.with_suffix(".mo")))
    print(f"compiled {po}")
endef
export COMPILE_WITH_POLIB

.PHONY: help demo test lint format migrations-check check-deploy pytest bench assets messages \
	serve clean extract-messages demo-packages test-packages python-deps

help:
	@echo "make demo    install, migrate, load demo data and serve on http://127.0.0.1:8000"
	@echo "make test    install, then format/lint/type/migration/deploy checks and the tests"
	@echo "             on SQLite and on a real PostgreSQL server (PYTEST_ARGS=... passes options)"
	@echo "make lint    ruff format --check, ruff check, mypy"
	@echo "make format  ruff format and ruff check --fix"
	@echo "make bench   run every bench/*.py"
	@echo "make assets  npm ci and the esbuild bundle    make messages  compile translations"
	@echo "make serve   serve what is there without reloading the demo data"
	@echo "make clean   remove build outputs (keeps .venv, node_modules and var/: keys, database)"

# --- Installing -------------------------------------------------------------------------------

demo-packages:
	$(call install_missing,$(NODE))

test-packages:
	$(call install_missing,$(NODE) $(GETTEXT) $(POSTGRESQL) $(CHROMIUM))

$(PY):
	$(PYTHON_BOOTSTRAP) -m venv $(VENV)

# Reinstalled only when pyproject.toml changes.
$(PYTHON_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

python-deps: $(PYTHON_STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(BUNDLE): $(NPM_STAMP) $(ASSET_SOURCES)
	npm run build
	@touch $@

assets: $(BUNDLE)

# Re-extract every marked string into the catalogs (then translate the new entries).
extract-messages: $(PYTHON_STAMP)
	$(PALERMO) makemessages -l uk -l ro -l es -l pt -l fr --no-obsolete \
	  --ignore=.venv --ignore=node_modules --ignore='*/tests/*' --ignore=tests --ignore=var \
	  --ignore=bench --ignore=docs

messages: $(PYTHON_STAMP)
	@if ! find palermo -path '*/locale/*' -name '*.po' | grep -q .; then \
	  echo "No translation catalogs to compile."; \
	elif command -v msgfmt >/dev/null; then \
	  $(PALERMO) compilemessages --ignore=.venv --ignore=node_modules --verbosity 0; \
	else \
	  $(PY) -c "$$COMPILE_WITH_POLIB"; \
	fi

# --- Running ----------------------------------------------------------------------------------

demo: demo-packages $(PYTHON_STAMP) assets messages
	@mkdir -p $(VAR_DIR)
	$(PALERMO) init-keys
	$(PALERMO) migrate --noinput --verbosity 1
	$(PALERMO) demo-data --size small
	$(PALERMO) collectstatic --noinput --verbosity 0
	@$(MAKE) --no-print-directory serve

serve: $(PYTHON_STAMP)
	@if [ -f $(VAR_DIR)/demo-logins.txt ]; then \
	  echo; echo "Demo logins:"; cat $(VAR_DIR)/demo-logins.txt; echo; fi
	@# The worker runs beside the server (background tasks, periodic jobs) and stops with it.
	@$(PALERMO) worker > $(VAR_DIR)/worker.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  echo "Background worker running (log: $(VAR_DIR)/worker.log)"; \
	  PALERMO_DEMO=1 $(PALERMO) serve $(SERVE_ARGS)

# --- Checking ---------------------------------------------------------------------------------

lint: $(PYTHON_STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy palermo config

format: $(PYTHON_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: $(PYTHON_STAMP)
	DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=sqlite:///:memory: \
	  $(PALERMO) makemigrations --check --dry-run

# Production settings with throw-away secrets: the deployment checks must pass cleanly.
check-deploy: $(PYTHON_STAMP)
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_ALLOWED_HOSTS=palermo.example \
	DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	DATABASE_URL=sqlite:///:memory: \
	  $(PALERMO) check --deploy --fail-level WARNING

# Every test on SQLite, then every test again on a PostgreSQL server started by the session.
pytest: $(PYTHON_STAMP) assets messages
	@echo "==> pytest on SQLite"
	$(PYTEST) -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	@echo "==> pytest on PostgreSQL"
	PALERMO_TEST_DB=postgresql $(PYTEST) -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The prerequisites run in this order (the Makefile is .NOTPARALLEL); the first failure stops.
test: test-packages $(PYTHON_STAMP) assets messages lint migrations-check check-deploy pytest

bench: $(PYTHON_STAMP)
	@found=0; \
	for script in bench/*.py; do \
	  [ -e "$$script" ] || continue; case "$$script" in bench/_*) continue;; esac; found=1; \
	  echo "==> $$script"; $(PY) "$$script" || exit 1; \
	done; \
	[ $$found = 1 ] || echo "No benchmarks in bench/ yet."

clean:
	rm -rf palermo/web/static/build var/staticfiles test-results .mypy_cache .ruff_cache \
	  .pytest_cache .hypothesis
	find palermo -name '*.mo' -path '*/locale/*' -delete
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './node_modules/*' \
	  -prune -exec rm -rf {} +
