"""Benchmark: REML random-effects fits at k = 20, 200, 2,000, 20,000 and 200,000 studies.

    .venv/bin/python bench/meta_reml.py            # Touchstone only
    .venv/bin/python bench/meta_reml.py --with-r   # also time R metafor (needs Rscript)

Data: y ~ N(0.3, v + 0.08), v ~ U(0.01, 0.5), seed 6. Reports the median of repeated fits
(``touchstone.science.meta.models.rma``, which also computes the Q-profile tau2 interval)
and of the bare tau2 estimation. With ``--with-r`` the same data are written to a temporary
CSV and R times ``rma(yi, vi, method="REML")`` (metafor's default) on them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from touchstone.science.meta.models import _design, _estimate_tau2, rma

SIZES = (20, 200, 2_000, 20_000, 200_000)
R_SIZES = (20, 200, 2_000)


def _data(k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(6)
    vi = rng.uniform(0.01, 0.5, k)
    return rng.normal(0.3, np.sqrt(vi + 0.08)), vi


def _median_seconds(fn: object, budget: float = 2.0) -> tuple[float, int]:
    assert callable(fn)
    times: list[float] = []
    start = time.perf_counter()
    while not times or (time.perf_counter() - start < budget and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def _r_seconds(yi: np.ndarray, vi: np.ndarray) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        np.savetxt(csv, np.column_stack([yi, vi]), delimiter=",", header="yi,vi", comments="")
        reps = 20 if yi.size <= 200 else 1
        script = (
            "suppressMessages(library(metafor)); d <- read.csv('" + str(csv) + "');"
            f"t <- system.time(for (i in 1:{reps}) rma(d$yi, d$vi, method='REML'))[['elapsed']];"
            f"cat(t / {reps})"
        )
        out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True)
        return float(out.stdout.strip().split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--with-r", action="store_true", help="also time R metafor")
    args = parser.parse_args()
    print(f"{'k':>8} {'rma() ms':>10} {'tau2 only ms':>13} {'iter':>5} {'metafor ms':>11}")
    for k in SIZES:
        yi, vi = _data(k)
        res = rma(yi, vi)
        full, _ = _median_seconds(lambda yi=yi, vi=vi: rma(yi, vi))
        x = _design(yi, None)
        bare, _ = _median_seconds(lambda yi=yi, vi=vi, x=x: _estimate_tau2(yi, vi, x, "REML", 100))
        r = f"{_r_seconds(yi, vi) * 1000:11.1f}" if args.with_r and k in R_SIZES else f"{'':>11}"
        print(f"{k:>8} {full * 1000:10.2f} {bare * 1000:13.3f} {res.iterations:>5} {r}")


if __name__ == "__main__":
    main()
