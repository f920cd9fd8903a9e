# Two commands do everything on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-lock
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_INVOICES ?= 10000
# A fixed last issue date keeps the demo registry the same on every machine: the README's examples verify.
DEMO_END_DATE ?= 2026-06-30

.PHONY: run test lint bench lock clean messages

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

## messages: compile the translations (yanpiao/locale/*/LC_MESSAGES/*.po) that changed
messages: $(STAMP)
	$(BIN)/python -m yanpiao.translations

## run: migrate, fill a demo registry when it is empty, serve http://$(HOST):$(PORT)/ with a
## worker beside it for the batches (Ctrl-C stops both)
run: $(STAMP) messages
	$(BIN)/yanpiao demo --invoices $(DEMO_INVOICES) --end-date $(DEMO_END_DATE) --if-empty
	$(BIN)/yanpiao worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/yanpiao serve --host $(HOST) --port $(PORT)

## test: lint, migration check and the whole test suite (DATABASE_URL picks PostgreSQL)
test: $(STAMP) messages lint
	YANPIAO_HOME=$(CURDIR)/var/test $(BIN)/yanpiao makemigrations --check --dry-run
	YANPIAO_HOME=$(CURDIR)/var/test $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## bench: the benchmark scripts (slow: they build a 1,000,000-invoice registry)
bench: $(STAMP)
	$(BIN)/python benchmarks/demo.py
	$(BIN)/python benchmarks/verification.py
	$(BIN)/python benchmarks/import_export.py
	$(BIN)/python benchmarks/batch.py

## lock: re-pin requirements.lock from requirements.in (needs uv)
lock:
	uv pip compile --generate-hashes --python-version 3.11 --override requirements-overrides.txt requirements.in -o requirements.lock

clean:
	rm -rf $(VENV) var/test
