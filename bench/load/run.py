"""Load benchmark: 50 users against gunicorn on a 10,000-client clinic (issue 11 §2, goal b).

Needs a database that already holds the demo clinic, built once (minutes)::

    TOUCHSTONE_MODE=demo TOUCHSTONE_VAR_DIR=/tmp/bench .venv/bin/touchstone migrate
    TOUCHSTONE_MODE=demo TOUCHSTONE_VAR_DIR=/tmp/bench .venv/bin/touchstone demo --clients 10000

(add ``DATABASE_URL=postgres://...`` to both for PostgreSQL). Then::

    TOUCHSTONE_VAR_DIR=/tmp/bench .venv/bin/python bench/load/run.py [--users 50] [--time 180]

starts gunicorn (``touchstone.gunicorn_conf``, demo mode, ``--workers`` processes) on a free
local port, makes an API token for the clinician, runs locust headless
(bench/load/locustfile.py: each user waits 2-5 s between requests) and prints, per request
kind and overall: requests, errors, p50/p95/p99 as the load generator saw them, requests per
second, and the server's own time per request from gunicorn's access log (p50/p95). The
machine's core count and load average are printed too: the load generator shares the CPU with
the server, as in the issue's measurement. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _touchstone(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(BIN / "touchstone"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"touchstone {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def _client_ids(env: dict[str, str], n: int) -> list[int]:
    code = (
        "import django, json, random; django.setup()\n"
        "from touchstone.clients.models import Client\n"
        "ids = list(Client.objects.filter(clinic__slug='demo').values_list('pk', flat=True))\n"
        f"random.Random(1).shuffle(ids); print(json.dumps({{'n': len(ids), 'ids': ids[:{n}]}}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    print(f"demo clinic: {data['n']:,} clients")
    if not data["ids"]:
        sys.exit("no demo clinic in this database: build it first (see this script's docstring)")
    return list(data["ids"])


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the server did not answer {url} within {seconds:.0f} s")


def _server_times(log: Path) -> dict[str, list[float]]:
    """Milliseconds per request from gunicorn's access log (``"GET /path" 200 1234 12ms``),
    grouped by page kind as the load generator names them."""
    kinds = [
        (re.compile(r"^/$"), "home"),
        (re.compile(r"^/clients/$"), "client list"),
        (re.compile(r"^/clients/\d+/$"), "client page"),
        (re.compile(r"^/clients/\d+/progress/$"), "progress page"),
        (re.compile(r"^/outcomes/$"), "outcomes dashboard"),
        (re.compile(r"^/api/v1/"), "API lists"),
    ]
    line_re = re.compile(r'"(GET|POST) (\S+)" (\d{3}) \S+ (\d+)ms')
    out: dict[str, list[float]] = {"all": []}
    for line in log.read_text(errors="replace").splitlines():
        found = line_re.search(line)
        if not found:
            continue
        path, ms = found.group(2), float(found.group(4))
        out["all"].append(ms)
        for pattern, name in kinds:
            if pattern.search(path):
                out.setdefault(name, []).append(ms)
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=1.0, help="users signing in per s")
    parser.add_argument("--time", type=int, default=180, help="seconds measured, after sign-in")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
    parser.add_argument("--out", type=Path, default=None, help="directory for CSV and logs")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="touchstone-load-"))
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TOUCHSTONE_MODE="demo", DJANGO_SETTINGS_MODULE="touchstone.settings")
    env.setdefault("LOG_LEVEL", "WARNING")
    database = env.get("DATABASE_URL", "SQLite in $TOUCHSTONE_VAR_DIR")
    print(f"database: {database.split('@')[-1]}; {os.cpu_count()} cores; load {os.getloadavg()}")

    ids = _client_ids(env, 2000)
    ids_file = out / "client_ids.json"
    ids_file.write_text(json.dumps(ids))
    token = _touchstone("token", "casey", env=env).strip().splitlines()[-1]
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    access_log = out / "access.log"
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--config",
            "python:touchstone.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--timeout",  # a worker's first import (scipy, WeasyPrint) on a busy machine
            "180",
            "--access-logfile",
            str(access_log),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(out / "gunicorn.log").open("w"),
    )
    try:
        _wait_for(f"{host}/healthz", 300)
        for path in ("/accounts/login/", "/healthz"):  # every worker imports its code first
            for _ in range(args.workers * 2):
                urllib.request.urlopen(f"{host}{path}", timeout=60).read()
        access_log.write_text("")
        load_before = os.getloadavg()
        started = time.monotonic()
        # Sign-in (an Argon2 hash each: deliberately slow) happens once per person and day, not
        # between pages: the figures cover the time after every user has signed in. locust
        # resets its statistics then (--reset-stats); the server's log is emptied then too.
        ramp = args.users / args.spawn_rate + 15
        clear = threading.Timer(ramp, lambda: access_log.write_text(""))
        clear.start()
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                f"{args.time + int(ramp)}s",
                "--host",
                host,
                "--csv",
                str(out / "locust"),
                "--only-summary",
                "--reset-stats",
                "--loglevel",
                "WARNING",
            ],
            env=dict(
                env,
                BENCH_CLIENT_IDS=str(ids_file),
                BENCH_API_TOKEN=token,
                BENCH_PASSWORD=env.get("TOUCHSTONE_DEMO_PASSWORD", "touchstone-demo"),
            ),
            check=False,
        )
        clear.cancel()
        elapsed = time.monotonic() - started - ramp
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=60)
    _report(out, elapsed, load_before, load_after, args)


def _report(
    out: Path, elapsed: float, before: tuple, after: tuple, args: argparse.Namespace
) -> None:
    rows = list(csv.DictReader((out / "locust_stats.csv").open()))
    print(
        f"\n{args.users} users, {args.workers} gunicorn workers, {elapsed:.0f} s, "
        f"{os.cpu_count()} cores, load average before {before[0]:.1f}, after {after[0]:.1f}"
    )
    print("\n| request | n | errors | p50 ms | p95 ms | p99 ms | req/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
            f"{row['50%']} | {row['95%']} | {row['99%']} | {float(row['Requests/s']):.1f} |"
        )
    server = _server_times(out / "access.log")
    print("\nserver time per request (gunicorn access log):")
    print("| page | n | p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in server.items():
        print(f"| {name} | {len(values)} | {_pct(values, 0.5):.0f} | {_pct(values, 0.95):.0f} |")
    failures = out / "locust_failures.csv"
    if failures.exists() and failures.read_text().count("\n") > 1:
        print("\nfailures:\n" + failures.read_text())
    print(f"\nCSV and logs: {out}")


if __name__ == "__main__":
    main()
