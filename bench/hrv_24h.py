"""Benchmark: HRV of a 24-hour RR recording (~100,000 beats), read + correct + all metrics.

Synthetic recording: RR tachogram with a circadian swing (night slower), LF (0.1 Hz) and HF
(0.25 Hz) modulation, Gaussian noise, and 0.3 % artifacts (missed beats, extra beats, out-of-
range spikes). Written to a temporary plain-text file, then timed through the same calls the
``touchstone hrv`` command makes. Run: ``.venv/bin/python bench/hrv_24h.py``. The ``kubios``
method runs only where the optional NeuroKit2 is installed (the ``hrv-reference`` extra, part
of the development install).
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

T0 = time.perf_counter()
from touchstone.science.physiology.hrv import hrv_metrics, read_rr_file  # noqa: E402

IMPORT_S = time.perf_counter() - T0  # timed: the import is part of a CLI call's cost


def synthetic_day(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rr, t = [], 0.0
    while t < 24 * 3600:
        base = 860 + 120 * math.cos(2 * math.pi * (t / 3600 - 3) / 24)  # slowest at 03:00
        value = base + 35 * math.sin(2 * math.pi * 0.1 * t) + 25 * math.sin(2 * math.pi * 0.25 * t)
        rr.append(value + rng.normal(0, 15))
        t += rr[-1] / 1000
    out = np.round(np.array(rr))
    n = out.size
    for i in rng.choice(n - 2, size=n // 1000, replace=False):  # missed beats
        out[i] = out[i] + out[i + 1]
        out[i + 1] = np.nan
    for i in rng.choice(n, size=n // 1000, replace=False):  # spikes out of range
        out[i] = 150.0 if i % 2 else 3500.0
    out = out[~np.isnan(out)]
    return out


def main() -> None:
    rr = synthetic_day()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "day.txt"
        path.write_text("\n".join(str(int(x)) for x in rr) + "\n")
        print(f"beats: {rr.size}, touchstone.science.physiology.hrv import: {IMPORT_S:.2f} s")
        methods = ["threshold"]
        if importlib.util.find_spec("neurokit2") is not None:
            start = time.perf_counter()
            import neurokit2  # noqa: F401  (the kubios method's one-off cost)

            print(f"neurokit2 import (kubios method only): {time.perf_counter() - start:.2f} s")
            methods.append("kubios")
        else:
            print("neurokit2 not installed: kubios method skipped", file=sys.stderr)
        for method in methods:
            timings = []
            for _ in range(3):
                start = time.perf_counter()
                recording = read_rr_file(path)
                read_s = time.perf_counter() - start
                metrics = hrv_metrics(recording.rr_ms, artifacts=method)  # type: ignore[arg-type]
                timings.append((time.perf_counter() - start, read_s))
            total, read_s = min(timings)
            d = metrics.to_dict()
            print(
                f"{method:9s}: total {total:.2f} s (read {read_s:.2f} s), best of 3; "
                f"n_corrected {d['n_corrected']}, rmssd {d['rmssd']:.1f}, lf_hf {d['lf_hf']:.2f}"
            )
            print(json.dumps({k: d[k] for k in ("n_beats", "sdnn", "rmssd", "lf", "hf")}))


if __name__ == "__main__":
    main()
