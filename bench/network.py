"""Benchmark: `touchstone network analyze` on DuckDB and on Spark local, against a floor.

Generates a synthetic network (``touchstone network generate``; kept in ``--data`` and
reused when its manifest counts match), then runs ``touchstone network analyze`` once per
engine as a separate process, and reports for each:

* wall-clock time of the whole command (start-up, the checks, the analysis, the JSON);
* peak memory: the largest sum of the resident sets of the command's process tree (the
  Python process and, for Spark, its JVM), sampled from /proc every 0.2 s;
* CPU time (user + system) of the command and the children it waited for, which a busy
  shared machine disturbs less than wall time (Spark's JVM is counted only if the command
  reaped it);
* the ratio to a memory-bandwidth floor: the time numpy takes on this machine to copy the
  tables' decoded bytes once (8 bytes per integer, the characters of every text value), i.e.
  the least time any engine needs to touch the data once in memory. Parquet's own
  ``total_uncompressed_size`` is not used: it counts dictionary- and run-length-encoded
  pages, a fraction of the values an engine works on.

Run: ``.venv/bin/python bench/network.py --clinics 1000 --clients-per-clinic 1000
--data /tmp/network-bench``. Results go in docs/benchmarks.md.

``--stepped-wedge``: every clinic takes part in a registered stepped-wedge study (generated
with ``--stepped-wedge DATA-study``, so the exports are limited data sets with study periods)
and each ``analyze`` runs the study's analysis too (``--study``): the episodes' outcome rows
come back from the engine and the Hussey & Hughes model is fitted in Python, so this measures
that extra cost. A network generated without the study is not reused for it (nor the reverse).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import numpy as np

from touchstone.science.research_format import PARQUET_TYPES, TABLES, dictionary

BIN = Path(sys.executable).parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    total = 0
    for pid in tree:
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    return total


def measure(command: list[str]) -> tuple[float, int, str, float]:
    """Wall time, peak tree RSS, output and CPU seconds of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-3000:]}")
    return seconds, peak, output, usage.ru_utime + usage.ru_stime


def decoded_bytes(data: Path) -> int:
    """Bytes of every table's values decoded: 8 per integer, the length of every text."""
    total = 0
    mode = json.loads(next(data.glob("*/manifest.json")).read_text())["mode"]
    with duckdb.connect() as con:
        for table, columns in dictionary(mode, diagnoses=True).items():
            files = [str(p) for p in data.glob(f"*/{table}.parquet")]
            sizes = [
                f'sum(strlen("{c}"))' if PARQUET_TYPES[k] == "VARCHAR" else "8 * count(*)"
                for c, k, _ in columns
            ]
            row = con.execute(f"SELECT {' + '.join(sizes)} FROM read_parquet(?)", [files])
            total += int(row.fetchone()[0] or 0)
    return total


def copy_seconds(nbytes: int, repeat: int = 3) -> float:
    """Best time of numpy copying ``nbytes`` (in 256 MiB pieces, one buffer reused)."""
    piece = min(nbytes, 256 * 2**20)
    source = np.ones(piece, dtype=np.uint8)
    target = np.empty_like(source)
    best = float("inf")
    for _ in range(repeat):
        left = nbytes
        started = time.perf_counter()
        while left > 0:
            n = min(piece, left)
            np.copyto(target[:n], source[:n])
            left -= n
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=1000)
    parser.add_argument("--clients-per-clinic", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument(
        "--stepped-wedge",
        action="store_true",
        help="include a stepped-wedge study of every clinic in the analysis",
    )
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp()) / "network"
    study = data.with_name(f"{data.name}-study")
    if data.exists() and args.stepped_wedge != study.exists():
        raise SystemExit(
            f"{data} was generated {'without' if args.stepped_wedge else 'with'} "
            "the stepped-wedge study: use another --data"
        )
    touchstone = str(BIN / "touchstone")
    report: dict[str, object] = {"clinics": args.clinics,
                                 "clients_per_clinic": args.clients_per_clinic,
                                 "stepped_wedge": args.stepped_wedge}  # fmt: skip
    report["load_at_start"] = [round(x, 2) for x in os.getloadavg()]
    if not data.exists():
        seconds, peak, _, cpu = measure([
            touchstone, "network", "generate", "--clinics", str(args.clinics),
            "--clients-per-clinic", str(args.clients_per_clinic), "--seed", str(args.seed),
            "--out", str(data), "--no-csv",
            *(["--stepped-wedge", str(study)] if args.stepped_wedge else []),
        ])  # fmt: skip
        report["generate"] = {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                              "peak_rss_mib": peak >> 20}  # fmt: skip
    counts = dict.fromkeys(TABLES, 0)
    for manifest in data.glob("*/manifest.json"):
        for table, n in json.loads(manifest.read_text())["counts"].items():
            counts[table] += n
    report["counts"] = counts
    nbytes = decoded_bytes(data)
    floor = copy_seconds(nbytes)
    report["floor"] = {"bytes": nbytes, "seconds": round(floor, 3),
                       "gb_per_s": round(nbytes / floor / 1e9, 2)}  # fmt: skip
    for engine in args.engines.split(","):
        out = data.parent / f"results-{engine}.json"
        command = [touchstone, "network", "analyze", str(data), "--engine", engine,
                   "--out", str(out)]  # fmt: skip
        if engine == "spark":
            command += ["--master", args.master]
        if args.stepped_wedge:
            command += ["--study", str(study)]
        load_before = os.getloadavg()
        seconds, peak, _, cpu = measure(command)
        inner = json.loads(out.read_text())["run"]["seconds"]
        report[engine] = {
            "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1),
            "analysis_seconds": inner,
            "peak_rss_mib": peak >> 20,
            "ratio_to_floor": round(seconds / floor),
            "cpu_ratio_to_floor": round(cpu / floor),
            # 1-minute load average before the run and after it (uptime's figures).
            "load_before": round(load_before[0], 2),
            "load_after": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(report), flush=True)
    if len(args.engines.split(",")) == 2:
        results = [json.loads((data.parent / f"results-{e}.json").read_text()) for e in
                   args.engines.split(",")]  # fmt: skip
        for r in results:
            r.pop("run")
        report["identical"] = results[0] == results[1]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
