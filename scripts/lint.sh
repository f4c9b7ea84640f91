#!/usr/bin/env bash
# Static checks, the same here as in CI: ruff (lint + format), mypy, migrations in step, and
# the layer map (import-linter contracts in pyproject.toml; docs/architecture.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
echo "== ruff check";   $BIN/ruff check .
echo "== ruff format";  $BIN/ruff format --check .
echo "== mypy";         $BIN/mypy
echo "== migrations";   $BIN/touchstone makemigrations --check --dry-run
echo "== layers";       $BIN/lint-imports --no-cache
