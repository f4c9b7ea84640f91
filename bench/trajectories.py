"""Benchmark: the trajectory model at 1,000 and 10,000 clients x 8 observations.

Fits ``score ~ time * baseline + (time | client)`` by REML on simulated PHQ-9-like data and
reports the median wall time of several fits; also times statsmodels' generic ``MixedLM``
(same model, REML) once at 1,000 clients for comparison (``--no-statsmodels`` skips it).
``--write-csv DIR`` writes the simulated data so lme4 can be timed on identical input::

    Rscript -e 'library(lme4); d <- read.csv("DIR/sim10000.csv"); d$client <- factor(d$client);
                print(system.time(lmer(score ~ time * baseline + (time | client), d)))'

Run: ``.venv/bin/python bench/trajectories.py``. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from touchstone.science.trajectories import fit_trajectory_model

OBS_PER_CLIENT = 8


def simulate(n_clients: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Clients with intake ~ N(15, 4^2), weekly scores for 8 weeks, correlated random effects."""
    rng = np.random.default_rng(seed)
    client = np.repeat(np.arange(n_clients), OBS_PER_CLIENT)
    week = np.tile(np.arange(OBS_PER_CLIENT, dtype=float), n_clients)
    intake = rng.normal(15, 4, n_clients)
    effects = rng.multivariate_normal([0, 0], [[9, -0.5], [-0.5, 0.5]], n_clients)
    score = (
        2
        + 0.8 * intake[client]
        + (-1.0 + 0.02 * intake[client]) * week
        + effects[client, 0]
        + effects[client, 1] * week
        + rng.normal(0, 2, client.size)
    )
    return {"client": client, "time": week, "baseline": intake[client], "score": score}


def time_ours(data: dict[str, np.ndarray], repeats: int) -> tuple[float, dict[str, object]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit_trajectory_model(
            data["score"], data["time"], data["client"], data["baseline"], time_by_baseline=True
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times), model.to_dict()


def time_statsmodels(data: dict[str, np.ndarray]) -> tuple[float, dict[str, object]]:
    import pandas as pd
    import statsmodels.formula.api as smf

    frame = pd.DataFrame(data)
    start = time.perf_counter()
    result = smf.mixedlm(
        "score ~ time * baseline", frame, groups=frame["client"], re_formula="~time"
    ).fit(reml=True)
    elapsed = time.perf_counter() - start
    return elapsed, {
        "fixed_effects": {k: float(v) for k, v in result.fe_params.items()},
        "converged": bool(result.converged),
        "llf": float(result.llf),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-statsmodels", action="store_true")
    parser.add_argument("--write-csv", type=Path)
    args = parser.parse_args()
    for n_clients in (1_000, 10_000):
        data = simulate(n_clients)
        if args.write_csv:
            args.write_csv.mkdir(parents=True, exist_ok=True)
            import pandas as pd

            pd.DataFrame(data).to_csv(args.write_csv / f"sim{n_clients}.csv", index=False)
        seconds, summary = time_ours(data, args.repeats)
        print(
            f"touchstone  {n_clients:>6} clients x {OBS_PER_CLIENT}: {seconds:.3f} s "
            f"(median of {args.repeats}), {summary['n_evaluations']} deviance evaluations, "
            f"converged={summary['converged']}, logLik={summary['log_likelihood']:.4f}"
        )
        print(f"             fixed effects {summary['fixed_effects']}")
        if n_clients == 1_000 and not args.no_statsmodels:
            seconds, sm = time_statsmodels(data)
            print(
                f"statsmodels {n_clients:>6} clients x {OBS_PER_CLIENT}: {seconds:.3f} s "
                f"(one fit), "
                f"converged={sm['converged']}, logLik={sm['llf']:.4f}"
            )
            print(f"             fixed effects {sm['fixed_effects']}")


if __name__ == "__main__":
    main()
