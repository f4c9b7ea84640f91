"""Benchmark: batch-score 10 million PHQ-9 responses (issue 3, point 8).

Run by hand: ``.venv/bin/python bench/score_batch.py [N]``. Prints responses per second
(best of 3 runs, single thread: numpy's element-wise kernels do not multithread) and the
peak memory traced by :mod:`tracemalloc` during one run (numpy reports its buffers to
tracemalloc), plus the process's peak RSS. Target: >= 5 million responses/s per core.
About 2 % of answers are missing, so some rows are not computable and exercise that path.
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc

import numpy as np

from touchstone.science.instruments import load_instrument, score_batch


def main(n: int = 10_000_000) -> None:
    phq9 = load_instrument("phq9")
    rng = np.random.default_rng(20261127)
    responses = rng.integers(0, 4, size=(n, 9), dtype=np.int8)
    for start in range(0, n, 1_000_000):  # chunked, so the mask does not inflate RSS
        block = responses[start : start + 1_000_000]
        block[rng.random(block.shape) < 0.02] = -1  # missing
    input_mb = responses.nbytes / 1e6
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = score_batch(phq9, responses)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    score_batch(phq9, responses)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best = min(times)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"responses:            {n:,}")
    print(f"input (int8):         {input_mb:.0f} MB")
    print(f"best of 3:            {best:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"responses per second: {n / best / 1e6:.1f} million")
    print(f"peak traced memory:   {peak / 1e6:.0f} MB (scoring only, input excluded)")
    print(f"peak RSS (process):   {rss_mb:.0f} MB")
    print(f"computable rows:      {int(result.computable.sum()):,}")
    print(f"item-9 flags:         {int(result.risk[:, 0].sum()):,}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
