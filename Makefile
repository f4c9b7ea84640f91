# Touchstone — the two commands of the README, and a few helpers.
#   make run   set up everything, load the demo clinic, serve http://127.0.0.1:8000 (gunicorn)
#   make test  install what the tests need and run the whole suite on SQLite and PostgreSQL

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint lock clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Touchstone needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements/lock.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.dev: requirements/dev-lock.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev-lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.runtime

# Demo mode: DEBUG off, served by gunicorn with static files through WhiteNoise, as in
# production, but with no secrets to set (docs/deploy.md). `touchstone runserver` is there
# for development with DEBUG on.
run: export TOUCHSTONE_MODE = demo
run: $(VENV)/.runtime
	$(BIN)/touchstone migrate --noinput
	$(BIN)/touchstone demo --if-empty
	@echo "Touchstone is at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(BIN)/gunicorn --config python:touchstone.gunicorn_conf --bind $(HOST):$(PORT)

test: $(VENV)/.dev
	bash scripts/test.sh

lint: $(VENV)/.dev
	bash scripts/lint.sh

# Regenerate the locked dependency files after changing pyproject.toml.
lock:
	uv pip compile --quiet --python-version 3.11 pyproject.toml -o requirements/lock.txt
	uv pip compile --quiet --python-version 3.11 --extra dev pyproject.toml -o requirements/dev-lock.txt

clean:
	rm -rf $(VENV) var/static artifacts
