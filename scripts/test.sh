#!/usr/bin/env bash
# The whole suite: static checks, then every test on SQLite, the science core again under a
# second BLAS kernel, and every test on a real PostgreSQL server started here on a local port
# and stopped afterwards.
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

# The science core once more under a second BLAS kernel, so a result that depends on the
# CPU's kernel (OpenBLAS picks SkylakeX, Haswell, Zen... at run time) fails here and not on a
# user's machine. Sandybridge (AVX) reproduces kernel-dependent results best; Nehalem
# (SSE4.2, every x86-64 CPU of the last 15 years) is used if the CPU lacks AVX or Sandybridge
# is already its own kernel. One BLAS thread keeps a busy 2-core box steady.
own_kernel=$(OPENBLAS_VERBOSE=2 $BIN/python -c "import numpy" 2>&1 | sed -n 's/^Core: //p' | head -n 1)
second_kernel=Sandybridge
if [ "$own_kernel" = "Sandybridge" ] || { [ -r /proc/cpuinfo ] && ! grep -qw avx /proc/cpuinfo; }; then
    second_kernel=Nehalem
fi
echo "== science tests under OpenBLAS kernel $second_kernel (this machine's: ${own_kernel:-unknown})"
env -u DATABASE_URL OPENBLAS_CORETYPE="$second_kernel" OPENBLAS_NUM_THREADS=1 \
    $BIN/pytest -n "$workers" -q src/touchstone/science

echo "== tests on PostgreSQL"
pgdir=$(mktemp -d /tmp/touchstone-pg.XXXXXX)
port=${PG_PORT:-$(( 55000 + RANDOM % 1000 ))}
trap 'bash scripts/postgres.sh stop "$pgdir"' EXIT
bash scripts/postgres.sh start "$pgdir" "$port"
# The app's role for the tests, the owner's for creating and migrating the test databases
# (conftest.py), as in production (docs/deploy.md).
DATABASE_URL="postgres://touchstone_app@127.0.0.1:$port/touchstone" \
DATABASE_OWNER_URL="postgres://touchstone@127.0.0.1:$port/touchstone" \
    $BIN/pytest -n "$workers" -q "$@"

echo "make test: all green in $(( $(date +%s) - start )) s"
