# Portico: `make run` serves the portal, `make test` runs the whole suite.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# Two stamps: what a node runs (requirements.lock), then what development adds
# (requirements-dev.lock); each is redone when its lock changes.
READY := $(VENV)/.ready
READY_DEV := $(VENV)/.ready-dev

# Django 6 needs Python 3.12 or newer; 3.12 is preferred. Try $PYTHON, then a
# python3.12 that actually runs (a pyenv shim may not), then pyenv's installed
# versions oldest first, then newer interpreters on the PATH.
define find_python
for candidate in "$${PYTHON:-}" python3.12 \
    $$(ls -d "$$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V) \
    python3.13 python3.14 python3; do \
  [ -n "$$candidate" ] || continue; \
  if "$$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
    command -v "$$candidate"; exit 0; \
  fi; \
done; exit 1
endef

.PHONY: help
help:
	@echo "make run     set up and serve Portico on http://127.0.0.1:8000 (SQLite)"
	@echo "make test    set up and run lint, unit, integration and browser tests"
	@echo "make lint    ruff, template formatting, mypy and migration checks only"
	@echo "make deploy-check   manage.py check --deploy with production-like settings"
	@echo "make screenshots    refresh docs/screenshots/ from the browser tests"
	@echo "make fuzz    the fuzz tests with new, and more, examples than CI's"
	@echo "make vendor-axe     refresh static/vendor/axe-core/ from the npm registry"

$(READY): requirements.lock pyproject.toml
	@python="$$( ( $(find_python) ) || true )"; \
	if [ -z "$$python" ]; then \
	  echo "Portico needs Python 3.12 or newer with venv, and none was found." >&2; \
	  echo "Install one (for example with pyenv) or name it: make PYTHON=/path/to/python3.12 ..." >&2; \
	  exit 1; \
	fi; \
	echo "Using $$python ($$("$$python" --version))"; \
	if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then rm -rf $(VENV); fi; \
	[ -x $(PY) ] || "$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

$(READY_DEV): $(READY) requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $@

# venv: the runtime packages only (make run); dev-venv: the tests' and linters' too.
.PHONY: venv dev-venv
venv: $(READY)
dev-venv: $(READY_DEV)

.PHONY: chromium
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "Run as root, or install the 'chromium' package first." >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	fi

.PHONY: run
run: venv
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) seed_demo
	@echo ""
	@echo "Portico is running at http://127.0.0.1:8000 (console: http://127.0.0.1:8000/console/)"
	@echo "The key check for API gateways listens on its own: http://127.0.0.1:8001/gateway/check"
	@echo "Stop both with Ctrl+C."
	@echo ""
	exec $(VENV)/bin/honcho --no-colour start --procfile Procfile

.PHONY: lint
lint: dev-venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/djade --check $$(find templates -name '*.html')
	$(PY) -m mypy audit portal groups sso products apis subscriptions content management_api scim reviews
	$(MANAGE) makemigrations --check --dry-run

.PHONY: deploy-check
deploy-check: venv
	DJANGO_ENV=production \
	DJANGO_SECRET_KEY="deploy-check-$$(printf 'x%.0s' $$(seq 60))-not-a-real-secret" \
	DJANGO_ALLOWED_HOSTS=portico.example.com \
	DATABASE_URL="$${DATABASE_URL:-sqlite:///$$(mktemp -d)/deploy-check.sqlite3}" \
	DJANGO_EMAIL_URL=smtp+tls://portico:secret@mail.example.com:587 \
	$(MANAGE) check --deploy --fail-level WARNING

# The shared-cache tests and the tests across nodes start their own redis-server.
.PHONY: redis-server
redis-server:
	@if ! command -v redis-server >/dev/null; then \
	  echo "Installing Debian's redis-server for the shared-cache tests"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "Run as root, or install the 'redis-server' package first." >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	fi

# The benchmark harness's own test drives the pages with wrk.
.PHONY: wrk
wrk:
	@if ! command -v wrk >/dev/null; then \
	  echo "Installing Debian's wrk for the benchmark harness's test"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "Run as root, or install the 'wrk' package first." >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

# The browser tests sign in through a real OpenID Connect provider (node's
# oidc-provider), installed from its lock file.
OIDC_PROVIDER := tests/oidc_provider/node_modules/.package-lock.json
$(OIDC_PROVIDER): tests/oidc_provider/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  echo "Installing Debian's nodejs and npm for the sign-in tests' identity provider"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "Run as root, or install the 'nodejs' and 'npm' packages first." >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	npm ci --prefix tests/oidc_provider --no-audit --no-fund --loglevel=error

.PHONY: oidc-provider
oidc-provider: $(OIDC_PROVIDER)

.PHONY: pytest
pytest: dev-venv chromium oidc-provider redis-server wrk
	$(PY) -m pytest $(PYTEST_ARGS)

.PHONY: test
test: lint deploy-check pytest

# The README's pictures: the browser tests, saving their screenshots there.
.PHONY: screenshots
screenshots: dev-venv chromium oidc-provider
	PORTICO_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q -m browser tests/browser

# CI fuzzes with a few examples, the same each run (tests/fuzz.py); this draws
# new ones, PORTICO_FUZZ_EXAMPLES of them for each test.
.PHONY: fuzz
fuzz: dev-venv
	PORTICO_FUZZ_RANDOM=true PORTICO_FUZZ_EXAMPLES=$${PORTICO_FUZZ_EXAMPLES:-200} \
	  $(PY) -m pytest -q tests/test_fuzz_forms.py tests/management_api/test_fuzz_api.py

# axe-core, which the accessibility browser test injects into each page it
# checks (pages never load it). Pinned; to refresh, change the version and run
# `make vendor-axe`, then the accessibility test.
AXE_VERSION := 4.14.1
.PHONY: vendor-axe
vendor-axe:
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	npm pack --silent --pack-destination "$$tmp" axe-core@$(AXE_VERSION) >/dev/null; \
	tar -xzf "$$tmp"/axe-core-$(AXE_VERSION).tgz -C "$$tmp"; \
	mkdir -p static/vendor/axe-core; \
	cp "$$tmp"/package/axe.min.js "$$tmp"/package/LICENSE static/vendor/axe-core/; \
	echo "static/vendor/axe-core/ now holds axe-core $(AXE_VERSION)"
