"""Web workers and commands run one BLAS thread each (lib/threads.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = (
    "import numpy, threadpoolctl; "
    "print(max(i['num_threads'] for i in threadpoolctl.threadpool_info()))"
)


def _clean_env(**extra: str) -> dict[str, str]:
    names = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")
    return {k: v for k, v in os.environ.items() if k not in names} | extra


@pytest.mark.slow
def test_the_touchstone_command_runs_one_blas_thread():
    result = subprocess.run(
        [sys.executable, "-m", "touchstone", "shell", "--verbosity=0", "-c", PROBE],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


@pytest.mark.slow
def test_the_web_application_runs_one_blas_thread_unless_told_otherwise():
    code = f"import touchstone.wsgi; {PROBE}"
    one = subprocess.run(
        [sys.executable, "-c", code], env=_clean_env(), capture_output=True, text=True, timeout=120
    )
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip().splitlines()[-1] == "1"
    two = subprocess.run(
        [sys.executable, "-c", code],
        env=_clean_env(TOUCHSTONE_BLAS_THREADS="2"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert two.stdout.strip().splitlines()[-1] in {"2", "1"}  # 1 on a one-core machine
