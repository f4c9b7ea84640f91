"""Clinical change for many pre/post pairs at once: :func:`touchstone.science.change.change`
vectorised over numpy arrays.

The rules are exactly those of :mod:`touchstone.science.change` (Jacobson & Truax 1991,
doi:10.1037/0022-006X.59.1.12; per-instrument parameters and their sources in each
instrument's definition file), applied element-wise so that a dashboard can classify every
episode of a clinic in a few array operations instead of one Python call per episode. A test
checks that every element equals ``change()`` on the same pair.

Examples
--------
>>> from touchstone.science.instruments import load_instrument
>>> batch = change_batch(load_instrument("phq9"), [18, 12, 10], [6, 11, 17])
>>> batch.labels()
['recovered', 'unchanged', 'deteriorated']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from touchstone.science.change import (
    Z_CRITICAL,
    _cutoff,
    check_criteria,
    standard_error_of_difference,
    uses_nhs_talking_therapies,
)

if TYPE_CHECKING:
    from touchstone.science.instruments.model import Instrument

#: Classification codes used by :class:`ChangeBatch` (``UNKNOWN`` = no reliability data).
CLASSES = ("recovered", "improved", "unchanged", "deteriorated")
UNKNOWN = -1


@dataclass(frozen=True)
class ChangeBatch:
    """Element-wise change results.

    Attributes
    ----------
    classification : numpy.ndarray of int8
        Index into :data:`CLASSES`, or :data:`UNKNOWN` when the instrument has neither
        reliability data nor a published threshold (``change()`` returns ``None`` then).
    gain : numpy.ndarray of float
        Change signed so that positive is better.
    response, response_known : numpy.ndarray of bool
        Response (e.g. PHQ-9 >= 50 % reduction) and whether it is defined for the pair
        (``change()`` returns ``None`` where ``response_known`` is false).
    remission, remission_known : numpy.ndarray of bool
        The same for remission.
    """

    classification: NDArray[np.int8]
    gain: NDArray[np.float64]
    response: NDArray[np.bool_]
    response_known: NDArray[np.bool_]
    remission: NDArray[np.bool_]
    remission_known: NDArray[np.bool_]

    def labels(self) -> list[str | None]:
        """Classification names (``None`` for unknown), for tests and small outputs."""
        return [CLASSES[c] if c >= 0 else None for c in self.classification.tolist()]


def _dysfunctional(score: NDArray[np.float64], cut: float, lower_is_better: bool) -> NDArray:
    return score >= cut if lower_is_better else score < cut


def change_batch(
    instrument: Instrument,
    pre: ArrayLike,
    post: ArrayLike,
    *,
    criteria: str = "jacobson-truax",
) -> ChangeBatch:
    """Reliable change, classification, response and remission for paired totals.

    Parameters
    ----------
    instrument : Instrument
        Supplies the direction and the change parameters (``instrument.change``).
    pre, post : array_like
        Baseline and follow-up totals, equal length, finite.
    criteria : {"jacobson-truax", "nhs-talking-therapies"}
        As :func:`touchstone.science.change.change`.

    Returns
    -------
    ChangeBatch
    """
    x0 = np.asarray(pre, dtype=float)
    x1 = np.asarray(post, dtype=float)
    if x0.shape != x1.shape or x0.ndim != 1:
        raise ValueError("pre and post must be equal-length 1-D arrays")
    if not (np.all(np.isfinite(x0)) and np.all(np.isfinite(x1))):
        raise ValueError("pre and post must be finite")
    p = instrument.change
    lower = p.direction == "lower_is_better"
    diff = x1 - x0
    gain = -diff if lower else diff
    n = x0.size
    reliable = np.zeros(n, dtype=np.int8)  # 1 improved, -1 deteriorated, 0 none
    known = True
    if uses_nhs_talking_therapies(instrument, check_criteria(criteria)):
        big = np.abs(diff) >= p.nhs_tt_points
    elif p.reliability is not None and p.rci_sd is not None:
        rci = diff / standard_error_of_difference(p.rci_sd, p.reliability)
        big = np.abs(rci) > Z_CRITICAL
    elif p.published_rci_points is not None:
        big = np.abs(diff) >= p.published_rci_points
    else:
        known = False
        big = np.zeros(n, dtype=bool)
    reliable[big & (gain > 0)] = 1
    reliable[big & ~(gain > 0)] = -1
    cut, _ = _cutoff(instrument, criteria)
    if cut is not None:
        significant = _dysfunctional(x0, cut, lower) & ~_dysfunctional(x1, cut, lower)
    else:
        significant = np.zeros(n, dtype=bool)
    classification = np.full(n, UNKNOWN, dtype=np.int8)
    if known:
        classification[:] = CLASSES.index("unchanged")
        classification[reliable == -1] = CLASSES.index("deteriorated")
        classification[(reliable == 1) & significant] = CLASSES.index("recovered")
        classification[(reliable == 1) & ~significant] = CLASSES.index("improved")
    if p.response_percent is None:
        response_known = np.zeros(n, dtype=bool)
        response = np.zeros(n, dtype=bool)
    else:
        response_known = x0 > 0
        if p.response_baseline_min is not None:
            response_known &= x0 >= p.response_baseline_min
        with np.errstate(divide="ignore", invalid="ignore"):
            response = response_known & ((x0 - x1) / x0 * 100.0 >= p.response_percent)
    if p.remission_below is None:
        remission_known = np.zeros(n, dtype=bool)
        remission = np.zeros(n, dtype=bool)
    else:
        remission_known = np.ones(n, dtype=bool)
        if p.remission_baseline_min is not None:
            remission_known &= x0 >= p.remission_baseline_min
        remission = remission_known & (x1 < p.remission_below)
    return ChangeBatch(
        classification=classification,
        gain=gain,
        response=response,
        response_known=response_known,
        remission=remission,
        remission_known=remission_known,
    )
