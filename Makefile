# Sekvens Hjelp. `make run` serves the portal on SQLite with the seed content; `make test` runs the suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SEED := fixtures/hjelp-og-support.md
# The settings default to production; the local server and `make admin` ask for development.
RUN_ENV := DJANGO_DEBUG=1
# Django 6.1 needs Python 3.12 or newer: the first of these that is new enough makes the virtualenv.
PYTHON_CANDIDATES := $(PYTHON) python3.14 python3.13 python3.12 \
	$(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3) python3
# axe-core for the accessibility tests comes from npm: installed where Node.js and npm are, and
# without them those tests are skipped (failed in CI, where SEKVENS_REQUIRE_BROWSER=1).
NPM := $(shell command -v node >/dev/null 2>&1 && command -v npm 2>/dev/null)

.PHONY: install run test lint format admin messages lock css clean

install: $(VENV)/.installed $(if $(NPM),node_modules/.installed)

$(VENV)/.installed: requirements-dev.txt
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "Removing $(VENV): it was made with a Python older than 3.12."; rm -rf $(VENV); fi
	@if [ ! -x $(PY) ]; then \
		for candidate in $(PYTHON_CANDIDATES); do \
			if command -v "$$candidate" >/dev/null 2>&1 && \
				"$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
				python=$$(command -v "$$candidate"); break; fi; \
		done; \
		if [ -z "$$python" ]; then \
			echo "error: Python 3.12 or newer is needed (Django 6.1), and none was found."; \
			echo "Tried: $(PYTHON_CANDIDATES)"; \
			echo "Install one (e.g. 'pyenv install 3.13') or name it: make PYTHON=/path/to/python3.13 ..."; \
			exit 1; fi; \
		echo "Making $(VENV) with $$python ($$($$python --version))"; \
		"$$python" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

run: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py import_help_page $(SEED) --if-empty
	@echo
	@echo "  Help page:  http://127.0.0.1:$(PORT)/"
	@echo "  Admin:      http://127.0.0.1:$(PORT)/admin/"
	@echo "  Admin login: run 'make admin' (or '$(PY) manage.py createsuperuser') in another terminal."
	@echo "  Email goes to the SMTP server at EMAIL_HOST:EMAIL_PORT (default localhost:25);"
	@echo "  the background worker (manage.py run_worker) sends it and retries until it is sent."
	@echo
	@$(RUN_ENV) $(PY) manage.py run_worker --interval 1 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	git ls-files '*.py' ':!:*/migrations/*' | xargs $(VENV)/bin/django-upgrade --check --target-version 6.1

format: install
	$(VENV)/bin/ruff format .

admin: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py createsuperuser

messages: install
	$(RUN_ENV) $(PY) manage.py makemessages --locale nb --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(RUN_ENV) $(PY) manage.py makemessages --locale nb --domain djangojs --ignore '.venv/*' --ignore 'var/*'
	$(RUN_ENV) $(PY) manage.py compilemessages --locale nb --ignore '.venv/*'

# The public pages' one stylesheet: the Bootstrap they use (Sass sources from npm's bootstrap) and
# help.css, compiled by libsass. site.css is committed, so `make run` needs neither; a test checks
# that it is this build's output.
css: install
	@[ -d node_modules/bootstrap/scss ] || { echo "error: make css needs npm (Bootstrap's Sass sources)"; exit 1; }
	$(VENV)/bin/pysassc --style compressed --include-path node_modules static/faq/site.scss static/faq/site.css

# The lock files: every package pinned with its hashes, from pyproject.toml's declarations.
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.12 \
	--generate-hashes --quiet --custom-compile-command "make lock"
lock: install
	$(LOCK) -o requirements.txt
	$(LOCK) --extra dev -o requirements-dev.txt

clean:
	rm -rf $(VENV) var node_modules
