#!/usr/bin/env bash
# The whole suite: static checks, then every test on SQLite and again on a real
# PostgreSQL server started here on a local port and stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
start=$(date +%s)

bash scripts/system-packages.sh
bash scripts/lint.sh

mkdir -p artifacts
workers=${TEST_WORKERS:-auto}

echo "== tests on SQLite"
env -u DATABASE_URL $BIN/pytest -n "$workers" -q "$@"

echo "== tests on PostgreSQL"
pgdir=$(mktemp -d /tmp/touchstone-pg.XXXXXX)
port=${PG_PORT:-$(( 55000 + RANDOM % 1000 ))}
trap 'bash scripts/postgres.sh stop "$pgdir"' EXIT
bash scripts/postgres.sh start "$pgdir" "$port"
DATABASE_URL="postgres://touchstone@127.0.0.1:$port/touchstone" $BIN/pytest -n "$workers" -q "$@"

echo "make test: all green in $(( $(date +%s) - start )) s"
