# A newcomer needs two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | cksum | cut -d' ' -f1)
# The runtime alone (what `make run` needs): no test, lint or load-test tools.
RUN_STAMP := $(VENV)/.runtime-$(shell cat requirements/base.txt requirements/constraints.txt | cksum | cut -d' ' -f1)
# The development settings `make run` uses, for every manage.py command run beside it.
DEV_ENV := DEBUG=1 CACHE_DIR=.cache EMAIL_URL=filemail:// EMAIL_FILE_PATH=.mail
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-runtime run manage shell test lint messages migrate seed bench-practice bench-outage bench-sessions bench-scoring bench-imports bench-hostile bench-browser bench-accounts bench-learning-loop bench-learner-reads bench-server-modes load-test clean

$(STAMP): requirements/base.txt requirements/prod.txt requirements/dev.txt requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

$(RUN_STAMP): requirements/base.txt requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/base.txt
	rm -f $(VENV)/.runtime-*
	touch $(RUN_STAMP)

install-runtime: $(RUN_STAMP)

# Embedded defaults: SQLite, a folder cache (.cache/), jobs through a folder broker (.celery-broker/),
# audio under ./media, offline scoring.
run: install-runtime
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed
	@echo ""
	@echo "  API docs:  http://$(HOST):$(PORT)/api/docs/  (ReDoc: /api/redoc/, schema: /api/schema/)"
	@echo "  Admin:     http://$(HOST):$(PORT)/admin/  (staff credentials printed by the seed above)"
	@echo "  Health:    http://$(HOST):$(PORT)/health"
	@echo "  Mail:      account mails (verification codes, password resets) land in .mail/ as files"
	@echo "  Commands:  make manage cmd=createsuperuser   (any manage.py command, same settings)"
	@echo ""
	@# Jobs (large imports, the schedules) on one worker with beat inside it, through a folder broker:
	@# no server needed. It stops with the dev server.
	@# Both share a folder cache (CACHE_DIR), so the server sees the worker's invalidations and progress.
	$(DEV_ENV) $(BIN)/celery -A config worker --beat --pool=solo --loglevel=WARNING \
		--schedule=.celery-broker/beat-schedule & trap "kill $$! 2>/dev/null" EXIT; \
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Any manage.py command with the settings of `make run`: make manage cmd="createsuperuser".
manage: install-runtime
	$(DEV_ENV) $(BIN)/python manage.py $(cmd)

shell: install-runtime
	$(DEV_ENV) $(BIN)/python manage.py shell

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff: style, import order, bugbear, Django rules (pyproject.toml); hadolint: the Dockerfile.
# CI fails on any finding.
lint: install
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile

# The Vietnamese catalogue: collect new texts into locale/vi/LC_MESSAGES/django.po, translate
# them there, then run this again to compile the .mo (both are committed).
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l vi --add-location=file --no-obsolete \
		--ignore=.venv --ignore=tests --ignore=bench --ignore=media --ignore=staticfiles
	DEBUG=1 $(BIN)/python manage.py compilemessages -l vi --ignore=.venv

migrate: install-runtime
	$(BIN)/python manage.py migrate --noinput

seed: install-runtime
	$(DEV_ENV) $(BIN)/python manage.py seed

# Benchmarks (bench/): each prints its numbers; see the script's docstring for what it needs.
bench-practice: install
	$(BIN)/python bench/practice_set.py

bench-outage: install
	$(BIN)/python bench/cache_outage.py

bench-sessions: install
	$(BIN)/python bench/sessions.py

bench-scoring: install
	$(BIN)/python bench/scoring.py

bench-imports: install
	$(BIN)/python bench/imports.py

bench-hostile: install
	$(BIN)/python bench/hostile_bodies.py

bench-browser: install
	$(BIN)/python bench/admin_upload_browser.py

# Reset answers for existing vs unknown addresses: mean and median ms (account enumeration by timing).
bench-accounts: install
	$(BIN)/python bench/account_enumeration.py

# Home, league table and friends leaderboard vs a bare endpoint for a learner with 10 000 sessions among
# 100 000 learners, and the week's close for all of them (issue 17).
bench-learning-loop: install
	$(BIN)/python bench/learning_loop.py

# Progress, review set, session detail, history and home vs a bare endpoint for learners with 10 / 1 000 / 10 000
# sessions, and the session save's p50 and saves/s, at 1, 8 and 32 clients (issue 16).
bench-learner-reads: install
	$(BIN)/python bench/learner_reads.py

# The same reads and saves under gunicorn sync, gthread 2x4 and 4x4, persistent vs per-request database
# connections, and uvicorn (ASGI): req/s and p50/p95 per mode (issue 16).
bench-server-modes: install
	$(BIN)/python bench/server_modes.py

load-test: install
	bash bench/load_test.sh

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .cache .celery-broker .mail
