# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
MANIFEST := static/dist/manifest.json
CHROMIUM ?= $(shell command -v chromium 2>/dev/null)
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test

export FORUM_ENV ?= development

.PHONY: run run-sso serve install assets migrate demo test test-postgres test-fast lint clean bench bench-peer

# The worker (outbox email and scheduled jobs) runs in the background beside the server,
# and the trap stops it by its PID when the server exits or Ctrl-C is pressed.
run: install assets migrate demo
	@$(BIN)/forum worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/forum serve --host 127.0.0.1 --port 8000

# Like run, but sign-in goes through the local test OpenID provider (tests/oidc_provider),
# so the whole OpenID Connect flow can be clicked through in a browser.
run-sso: install assets migrate demo
	$(BIN)/python -m tests.oidc_provider.run_sso --port 8000

install: $(INSTALLED)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

assets: $(MANIFEST)

$(MANIFEST): $(NODE_INSTALLED) static/build.mjs $(shell find static/src -type f 2>/dev/null)
	npm run build --silent

migrate: install
	mkdir -p var
	$(BIN)/forum migrate

demo: install
	$(BIN)/forum demo --if-empty

# The whole suite on SQLite. The browser tests need Debian's chromium; without it they are
# left out and the run says so.
test: install assets
ifeq ($(CHROMIUM),)
	@echo "NOTE: chromium is not installed, so the browser tests (marked 'browser') are NOT run."
	@echo "      Install it with 'apt-get install chromium' to run them."
	$(BIN)/python -m pytest -m "not browser"
else
	FORUM_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest
endif

# The database tests again, against PostgreSQL.
test-postgres: install assets
	FORUM_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/python -m pytest -m "not browser"

lint: install
	$(BIN)/python -m ruff check forum models tests

clean:
	rm -rf $(VENV) node_modules static/dist var

# Write a migration for model changes: make migrations NAME=add_flags
migrations: install
	$(BIN)/tortoise -c forum.tortoise_cli.TORTOISE_ORM makemigrations -n $(NAME)

# Load tests (docs/benchmarks.md). bench: the forum on SQLite and PostgreSQL at the small
# size, the ceiling app, and Spirit when bench-peer has seeded it. bench-peer: install and
# seed Spirit once (its search index takes most of the time), keep it, then run bench.
BENCH_DURATION ?= 6
BENCH_RUNS ?= 3
BENCH_ARGS ?=
SPIRIT_HOME := bench/.spirit

bench: install
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py --duration $(BENCH_DURATION) --runs $(BENCH_RUNS) $(BENCH_ARGS)

bench-peer: install
	bash bench/spirit/setup.sh
	$(BIN)/python bench/taxonomy.py > $(SPIRIT_HOME)/taxonomy.json
	@if [ -f $(SPIRIT_HOME)/seeded-small.json ]; then \
		echo "Spirit is already seeded; keeping its database."; \
	else \
		rm -rf $(SPIRIT_HOME)/site/db.sqlite3 $(SPIRIT_HOME)/site/st_search && \
		bash bench/spirit/setup.sh && \
		cd $(SPIRIT_HOME)/site && \
		DJANGO_SETTINGS_MODULE=peerforum.settings.bench ../venv/bin/python ../../spirit/seed.py \
			--size small --taxonomy ../taxonomy.json --meta ../seeded-small.json.partial && \
		mv ../seeded-small.json.partial ../seeded-small.json; \
	fi
	$(MAKE) bench
