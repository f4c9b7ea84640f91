"""One BLAS thread per process, unless told otherwise.

Touchstone's numerical work is many small problems (a meta-analysis, a trajectory fit, a
dashboard's arrays), not one big matrix product. OpenBLAS starts one thread per core for any
product above a small size; on a busy 2-core server those threads wait for each other and for
the other gunicorn workers, and a k = 20,000 meta-analysis took 175-1,224 ms with the default
threads against 6-10 ms with one (issue 11 §2). Web workers already run in parallel as
processes, so each uses one BLAS thread.

:func:`limit_blas_threads` is called first thing by the ``touchstone`` command (``cli.py``) and
the WSGI application (``wsgi.py``): it sets the thread variables of OpenBLAS, MKL and OpenMP
for libraries not loaded yet (an operator's own value wins) and caps the ones already loaded
with threadpoolctl. ``TOUCHSTONE_BLAS_THREADS`` changes the number.
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def limit_blas_threads() -> int:
    """Cap BLAS and OpenMP threads in this process; returns the number."""
    raw = os.environ.get("TOUCHSTONE_BLAS_THREADS", "1")
    try:
        threads = max(1, int(raw))
    except ValueError:
        threads = 1
    for name in _VARIABLES:
        os.environ.setdefault(name, str(threads))
    threadpool_limits(limits=threads)
    return threads
