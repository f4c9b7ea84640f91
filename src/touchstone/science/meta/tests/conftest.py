"""Shared reference data for the meta-analysis tests.

``fixtures/metafor_3_8_1.json`` was printed by ``fixtures/make_metafor_fixtures.R`` with
R 4.2.2 (Debian r-base-core) and metafor 3.8.1 (Debian r-cran-metafor), with metafor's default
control; every expected value taken from it is labelled with the metafor call that produced it
(the ``call`` field). ``fixtures/metafor_3_8_1_tight.json`` (``make_metafor_tight_fixtures.R``)
holds metafor run to its optimum ("tight control") on the same and further datasets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
METAFOR: dict[str, Any] = json.loads((FIXTURES / "metafor_3_8_1.json").read_text())
TIGHT: dict[str, Any] = json.loads((FIXTURES / "metafor_3_8_1_tight.json").read_text())

#: Agreement required with metafor's default control: |ours - metafor| <= 1e-6 * max(1,
#: |metafor|), i.e. absolute 1e-6 for values below 1 in size and relative 1e-6 above (issue 6,
#: point 3) -- or, for ML/REML fits, metafor's own stopping error if that is larger (below).
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


def tight_fit(dataset: str, method: str, test: str, kind: str = "fits") -> dict[str, Any]:
    """The tight-control metafor fit of ``dataset`` (``kind="metareg"`` with the moderator)."""
    fits = TIGHT["datasets"][dataset][kind]
    return next(f for f in fits if f["method"] == method and f["test"] == test)


def default_tol(default: Any, optimum: Any) -> float:
    """Tolerance against metafor's *default* control for one value.

    metafor stops ML/REML Fisher scoring when tau2 changes by at most 1e-5, so its default
    results sit up to a few 1e-6 from the optimum, which Touchstone now reports. The
    comparison stays meaningful by allowing twice metafor's own distance from its optimum
    (``|default - tight|``, scaled like ``close``), and never less than :data:`TOL`.
    """
    if default is None or optimum is None:
        return TOL
    if isinstance(default, list):
        return max(default_tol(d, o) for d, o in zip(default, optimum, strict=True))
    return max(TOL, 2 * abs(default - optimum) / max(1.0, abs(default)))
