#!/usr/bin/env bash
# start DIR PORT | stop DIR — a throw-away PostgreSQL server for the test suite.
# initdb refuses to run as root, so as root the cluster belongs to the postgres user
# (see ../shared/reference/environment.md).
# Two roles, as in production (docs/deploy.md): `touchstone` owns the tables and runs the
# migrations (DATABASE_OWNER_URL); `touchstone_app` is the app's (DATABASE_URL), which
# migrate grants everything but UPDATE, DELETE and TRUNCATE on the audit log and the
# billing ledger (audit/privileges.py).
# The server log is DIR/log. As docs/deploy.md asks of production, it carries no DETAIL lines
# (which quote a refused row: client data) and no statement text of failed queries.
set -euo pipefail
cmd=$1 dir=$2 port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $cmd in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -A trust -U touchstone >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c log_error_verbosity=terse -c log_min_error_statement=panic" -l "$dir/log" -w start >/dev/null
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U touchstone touchstone
    as_pg "$bin/psql" -q -h 127.0.0.1 -p "$port" -U touchstone -d touchstone \
        -c "CREATE ROLE touchstone_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
