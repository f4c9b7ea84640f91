# Touchstone — the two commands of the README, and a few helpers.
#   make run   set up everything, load the demo clinic, serve http://127.0.0.1:8000 (gunicorn)
#              with the job worker beside it (scripts/serve.sh; Ctrl-C stops both)
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

$(VENV)/.runtime: requirements/demo-lock.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/demo-lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.dev: requirements/dev-lock.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev-lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.runtime

# Demo mode: DEBUG off, served by gunicorn with static files through WhiteNoise, as in
# production, but with no secrets to set (docs/deploy.md). `touchstone runserver` is there
# for development with DEBUG on.
run: export TOUCHSTONE_MODE = demo
run: $(VENV)/.runtime
	$(BIN)/touchstone migrate --noinput
	$(BIN)/touchstone demo --if-empty
	@echo "Touchstone is at http://$(HOST):$(PORT)/ with its job worker  (Ctrl-C stops both)"
	HOST=$(HOST) PORT=$(PORT) bash scripts/serve.sh

test: $(VENV)/.dev
	bash scripts/test.sh

lint: $(VENV)/.dev
	bash scripts/lint.sh

# Regenerate the locked dependency files after changing pyproject.toml: every package pinned
# with the SHA-256 of each of its files, so pip installs them in hash-checking mode. lock.txt
# is a production install; demo-lock.txt adds the demo clinic's Faker (make run); dev-lock.txt
# adds the test tools and NeuroKit2. The two are resolved within lock.txt's versions, so
# production runs what the tests ran.
UV ?= $(BIN)/uv
UV_VERSION := 0.13.9
COMPILE = $(UV) pip compile --quiet --generate-hashes --python-version 3.11 pyproject.toml

$(BIN)/uv: | $(BIN)/python
	$(BIN)/pip install --quiet "uv==$(UV_VERSION)"

lock: | $(UV)
	$(COMPILE) -o requirements/lock.txt
	$(COMPILE) --extra demo -c requirements/lock.txt -o requirements/demo-lock.txt
	$(COMPILE) --extra dev -c requirements/lock.txt -o requirements/dev-lock.txt

clean:
	rm -rf $(VENV) var/static artifacts
