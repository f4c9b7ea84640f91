#!/usr/bin/env bash
# `make run`'s last step: the web server (gunicorn) and the job worker (`touchstone worker`:
# reminders, alert notices and escalations, nightly refits) side by side. Ctrl-C (or either of
# them stopping) stops both. HOST and PORT come from the Makefile.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/touchstone worker &
worker=$!
$BIN/gunicorn --config python:touchstone.gunicorn_conf --bind "${HOST:-127.0.0.1}:${PORT:-8000}" &
web=$!
stop() {
    kill -TERM "$web" "$worker" 2>/dev/null
    wait "$web" "$worker" 2>/dev/null
}
trap 'stop; exit 130' INT TERM
wait -n "$web" "$worker"
status=$?
stop
exit "$status"
