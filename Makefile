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

.PHONY: run serve install assets migrate demo test test-postgres test-fast lint clean bench

run: install assets migrate demo
	$(BIN)/forum serve --host 127.0.0.1 --port 8000

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
