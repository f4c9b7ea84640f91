"""Benchmark and lme4 check of the trajectory model on simulated clinics.

``score ~ time * baseline + (time | client)`` by REML on simulated PHQ-9-like data (8 weekly
scores per client). Three uses:

* ``.venv/bin/python bench/trajectories.py`` -- median wall time of several fits at 1,000
  and 10,000 clients (``--repeats``), and statsmodels' ``MixedLM`` once at 1,000 clients
  (``--statsmodels``; it takes about a minute on a shared 2-core machine).
* ``--write-csv DIR`` -- write every clinic of the lme4 check (1,000, 10,000 and 20,000
  clients, seeds 0-3) as CSV, then fit them with lme4 (default and tight control, timed)::

      Rscript bench/lme4_clinics.R DIR 3 > bench/data/lme4_clinics.json

* ``--check`` -- fit every clinic and compare with the stored lme4 values in
  ``bench/data/lme4_clinics.json`` (log-likelihood within 1e-6 relative is the target;
  the differences are printed). Run it under other BLAS kernels too, e.g.
  ``OPENBLAS_CORETYPE=Sandybridge .venv/bin/python bench/trajectories.py --check``.

The data are generated with numpy's PCG64 normal draws and a hand-written Cholesky factor
(no LAPACK call, so the data do not depend on the BLAS kernel), and rounded to 2 decimals
when written, so R and Python fit the same numbers. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from touchstone.science.trajectories import fit_trajectory_model

OBS_PER_CLIENT = 8
SIZES = (1_000, 10_000, 20_000)
SEEDS = (0, 1, 2, 3)
REFERENCE = Path(__file__).parent / "data" / "lme4_clinics.json"

# Random-effect covariance [[9, -0.5], [-0.5, 0.5]] and its Cholesky factor, by hand.
_L00 = 3.0
_L10 = -0.5 / 3.0
_L11 = math.sqrt(0.5 - _L10**2)


def simulate_csv(n_clients: int, seed: int) -> str:
    """One simulated clinic as CSV text (columns client, time, baseline, score).

    Intake ~ N(15, 4^2); score = 2 + 0.8 intake + (-1 + 0.02 intake) week + u0 + u1 week + e
    with (u0, u1) correlated as above and sd(e) = 2; weeks 0-7.
    """
    rng = np.random.default_rng(seed)
    client = np.repeat(np.arange(n_clients), OBS_PER_CLIENT)
    week = np.tile(np.arange(OBS_PER_CLIENT, dtype=float), n_clients)
    intake = 15.0 + 4.0 * rng.standard_normal(n_clients)
    z = rng.standard_normal((n_clients, 2))
    u0 = _L00 * z[:, 0]
    u1 = _L10 * z[:, 0] + _L11 * z[:, 1]
    score = (
        2.0
        + 0.8 * intake[client]
        + (-1.0 + 0.02 * intake[client]) * week
        + u0[client]
        + u1[client] * week
        + 2.0 * rng.standard_normal(client.size)
    )
    out = io.StringIO()
    out.write("client,time,baseline,score\n")
    for c, t, b, s in zip(client, week, intake[client], score, strict=True):
        out.write(f"c{c:05d},{t:.0f},{b:.2f},{s:.2f}\n")
    return out.getvalue()


def read_csv(text: str) -> dict[str, np.ndarray]:
    """Parse :func:`simulate_csv` output (the numbers R reads, too)."""
    rows = [line.split(",") for line in text.splitlines()[1:]]
    return {
        "client": np.array([r[0] for r in rows]),
        "time": np.array([float(r[1]) for r in rows]),
        "baseline": np.array([float(r[2]) for r in rows]),
        "score": np.array([float(r[3]) for r in rows]),
    }


def fit(data: dict[str, np.ndarray]) -> dict[str, Any]:
    model = fit_trajectory_model(
        data["score"], data["time"], data["client"], data["baseline"], time_by_baseline=True
    )
    return model.to_dict()


def time_ours(data: dict[str, np.ndarray], repeats: int) -> tuple[float, dict[str, Any]]:
    times = []
    summary: dict[str, Any] = {}
    for _ in range(repeats):
        start = time.perf_counter()
        summary = fit(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times), summary


def time_statsmodels(data: dict[str, np.ndarray]) -> tuple[float, dict[str, object]]:
    import pandas as pd
    import statsmodels.formula.api as smf

    frame = pd.DataFrame(data)
    start = time.perf_counter()
    result = smf.mixedlm(
        "score ~ time * baseline", frame, groups=frame["client"], re_formula="~time"
    ).fit(reml=True)
    elapsed = time.perf_counter() - start
    return elapsed, {"converged": bool(result.converged), "llf": float(result.llf)}


def write_csvs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n_clients in SIZES:
        for seed in SEEDS:
            path = folder / f"clinic-{n_clients}-seed{seed}.csv"
            path.write_text(simulate_csv(n_clients, seed))
            print(f"wrote {path}")


def check() -> None:
    reference = json.loads(REFERENCE.read_text())
    worst = 0.0
    for entry in reference["clinics"]:
        text = simulate_csv(entry["n_clients"], entry["seed"])
        digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
        if digest != entry["md5"]:
            raise SystemExit(f"{entry['file']}: simulated data differ from the reference")
        start = time.perf_counter()
        ours = fit(read_csv(text))
        seconds = time.perf_counter() - start
        for control in ("default", "tight"):
            lme4 = entry[control]
            rel = abs(ours["log_likelihood"] - lme4["logLik"]) / abs(lme4["logLik"])
            worst = max(worst, rel) if control == "tight" else worst
            print(
                f"{entry['file']:<26} lme4 {control:<7} logLik {lme4['logLik']:.6f}  "
                f"ours {ours['log_likelihood']:.6f}  ours - lme4 "
                f"{ours['log_likelihood'] - lme4['logLik']:+.2e} (rel {rel:.1e})"
            )
        print(
            f"{'':<26} ours: {seconds:.2f} s, converged={ours['converged']}, "
            f"{ours['n_evaluations']} evaluations; lme4 default "
            f"{entry['default']['seconds']:.2f} s"
        )
    print(f"largest relative logLik difference from lme4 (tight control): {worst:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--statsmodels", action="store_true")
    parser.add_argument("--write-csv", type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.write_csv:
        write_csvs(args.write_csv)
        return
    if args.check:
        check()
        return
    for n_clients in (1_000, 10_000):
        data = read_csv(simulate_csv(n_clients, 0))
        seconds, summary = time_ours(data, args.repeats)
        print(
            f"touchstone  {n_clients:>6} clients x {OBS_PER_CLIENT}: {seconds:.3f} s "
            f"(median of {args.repeats}), {summary['n_evaluations']} deviance evaluations, "
            f"converged={summary['converged']}, logLik={summary['log_likelihood']:.5f}"
        )
        if n_clients == 1_000 and args.statsmodels:
            seconds, sm = time_statsmodels(data)
            print(
                f"statsmodels {n_clients:>6} clients x {OBS_PER_CLIENT}: {seconds:.3f} s "
                f"(one fit), converged={sm['converged']}, logLik={sm['llf']:.5f}"
            )


if __name__ == "__main__":
    main()
