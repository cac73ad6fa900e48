# Quickstart: `make run` (the hub, the payout and certification workers, beat and the sandbox partner), `make test` (the suite).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HUB_PORT ?= 8000
export HUB_PORT

.PHONY: run test venv install migrate seed clean check bench chaos cluster fuzz messages

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

venv install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo ""
	@echo "  Integration hub:   $${HUB_PUBLIC_URL:-http://127.0.0.1:$(HUB_PORT)}/admin/  (user $${HUB_ADMIN_EMAIL:-admin@example.com})"
	@echo "  Demo casino:       $${HUB_PUBLIC_URL:-http://127.0.0.1:$(HUB_PORT)}/demo/"
	@echo "  API docs:          $${HUB_PUBLIC_URL:-http://127.0.0.1:$(HUB_PORT)}/api/docs/"
	@echo ""
	exec $(VENV)/bin/honcho start -f Procfile

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Static checks (CI runs them before the suite): Django's checks and migrations, ruff (lint + format),
# mypy, the import graph (no cycles; domain code never reaches DRF or the protocol edges), the paths
# module docstrings, READMEs and docs/ pages cite (they must exist), the README as an entrance (<= 150
# lines; every docs/ page, relative link and anchor it names exists; every docs/ page linked from it), and the
# modules' shape (no private name used across modules, no file over 600 lines).
check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) scripts/check_imports.py
	$(PY) scripts/check_docstring_paths.py
	$(PY) scripts/check_readme.py
	$(PY) scripts/check_modules.py

# The player-facing texts (pages/messages.py, templates/pages/) into every locale/<lang>/LC_MESSAGES/django.po,
# then the compiled .mo files (committed: a fresh clone needs no gettext). Needs GNU gettext (apt-get install gettext).
messages: install
	$(PY) manage.py makemessages --all --no-obsolete --no-location --ignore 'templates/admin/*' --ignore 'tests/*' \
		--ignore 'bench/*' --ignore 'fuzz/*' --ignore 'sandbox/*' --ignore 'var/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf var/ staticfiles/ .pytest_cache/

# Hand-run, not CI: each starts its own stack (fresh PostgreSQL databases, a Redis db, gunicorn, Celery,
# the sandbox) on 127.0.0.1, stops by itself in < 10 min and cleans up its processes. See bench/*.py.
chaos: install
	$(PY) -m bench.chaos

bench: install
	$(PY) -m bench.bench

# Hand-run, as root: hub nodes in network namespaces behind haproxy, PgBouncer (transaction pooling) in front of
# PostgreSQL, Redis or RabbitMQ (CLUSTER_BROKER=rabbitmq); a node SIGKILLed mid-run. Needs Debian's haproxy,
# pgbouncer, socat. Removes its namespaces, configs and processes. See bench/cluster/.
cluster: install
	BENCH_DB_SUFFIX=$${BENCH_DB_SUFFIX:-} $(PY) -m bench.cluster

# Hand-run, not CI: coverage-guided fuzzing (atheris/libFuzzer) of the RFC 8785 canonicaliser and the money
# parsers, FUZZ_SECONDS each. A failing input is written to fuzz/crashes/: keep it under fuzz/regressions/<check>/
# (tests/core/test_fuzz_properties.py replays every file there) and fix the code.
FUZZ_SECONDS ?= 60
fuzz: install
	$(PY) -m pip install --quiet -r requirements-fuzz.txt
	@mkdir -p fuzz/crashes fuzz/work/canonical fuzz/work/parsers
	$(PY) -m fuzz.fuzz_canonical -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/crashes/canonical- fuzz/work/canonical fuzz/corpus/canonical
	$(PY) -m fuzz.fuzz_parsers -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/crashes/parsers- fuzz/work/parsers fuzz/corpus/parsers
