"""Shared reference data for the meta-analysis tests.

``fixtures/metafor_3_8_1.json`` was printed by ``fixtures/make_metafor_fixtures.R`` with
R 4.2.2 (Debian r-base-core) and metafor 3.8.1 (Debian r-cran-metafor); every expected value
taken from it is labelled with the metafor call that produced it (the ``call`` field).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
METAFOR: dict[str, Any] = json.loads((FIXTURES / "metafor_3_8_1.json").read_text())

#: Agreement required with metafor: |ours - metafor| <= 1e-6 * max(1, |metafor|), i.e.
#: absolute 1e-6 for values below 1 in size and relative 1e-6 above (issue 6, point 3).
TOL = 1e-6


def close(got: Any, expected: Any, tol: float = TOL) -> None:
    """Assert agreement to ``tol`` (absolute below 1, relative above), elementwise."""
    if expected is None:
        assert got is None
        return
    if isinstance(expected, list):
        assert got is not None and len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            close(g, e, tol)
        return
    assert got == pytest.approx(expected, rel=tol, abs=tol)
