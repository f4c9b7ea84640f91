"""Statistics behind the clinic outcomes dashboard.

* :func:`wilson_interval` - score (Wilson) interval for a proportion.
* :func:`prepost_hedges_g` - pre-post standardized mean change (Hedges' g) with its CI.
* :func:`rate_table` - classification counts -> proportions with Wilson intervals.
* :func:`suppress_small_cells` / :func:`suppressed_rate_table` - small-cell suppression for
  researcher (de-identified) views.
* :func:`dose_response` - outcomes by number of sessions.

Everything here takes plain numbers and arrays and returns frozen dataclasses with
``to_dict()``; nothing imports Django.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

#: Smallest count that may be shown in a researcher view. CMS Cell Size Suppression Policy
#: (Centers for Medicare & Medicaid Services, "CMS Cell Size Suppression Policy", 2020,
#: used for all CMS data releases): "no cell (e.g. admittances, discharges, patients,
#: services) containing a value of 1 to 10 can be reported directly", and values from
#: which such a cell could be derived (e.g. by subtraction from a total) must be
#: suppressed as well.
MIN_CELL_COUNT = 11


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError("level must be between 0 and 1")
    return float(stats.norm.ppf(0.5 + level / 2.0))


# --- proportions ------------------------------------------------------------------------


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, level: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson score interval for a binomial proportion (vectorised).

    ``(p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)`` with ``p = x/n`` (Wilson
    1927, *J Am Stat Assoc* 22:209-212, doi:10.1080/01621459.1927.10502953; method 3 of
    Newcombe 1998, *Stat Med* 17:857-872; recommended over the Wald interval by Brown, Cai &
    DasGupta 2001, *Stat Sci* 16:101-133, doi:10.1214/ss/1009213286). Same as R's
    ``prop.test(x, n, correct = FALSE)$conf.int`` and statsmodels'
    ``proportion_confint(x, n, method="wilson")``. Hand-written (three lines) so that the
    dashboard does not need statsmodels at run time.

    Parameters
    ----------
    successes, n : array_like
        Counts of events and trials, ``0 <= successes <= n``, ``n >= 1``.
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    (lower, upper) : tuple of numpy.ndarray
        Interval limits, with the shape of the broadcast inputs.

    Examples
    --------
    >>> lo, hi = wilson_interval(81, 263)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2553, 0.3662)
    """
    x = np.asarray(successes, dtype=float)
    total = np.asarray(n, dtype=float)
    if np.any(total < 1) or np.any(x < 0) or np.any(x > total):
        raise ValueError("need 0 <= successes <= n and n >= 1")
    if np.any(x != np.round(x)) or np.any(total != np.round(total)):
        raise ValueError("successes and n must be whole counts")
    z = _z(level)
    p = x / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    # Clip rounding noise at the boundaries (x = 0 or x = n give exactly 0 or 1).
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


@dataclass(frozen=True)
class Rate:
    """One row of a rate table.

    Attributes
    ----------
    category : str
        The classification (e.g. ``"recovered"``).
    count, total : int or None
        Episodes in the category and in the table (``None`` when suppressed).
    proportion, ci_low, ci_high : float or None
        ``count / total`` and its Wilson interval (``None`` when suppressed).
    suppressed : bool
        Hidden by small-cell suppression.
    """

    category: str
    count: int | None
    total: int | None
    proportion: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/CSV-ready row."""
        return {
            "category": self.category,
            "count": self.count,
            "total": self.total,
            "proportion": self.proportion,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "suppressed": self.suppressed,
        }


@dataclass(frozen=True)
class RateTable:
    """Proportions of episodes per category, with Wilson intervals.

    Attributes
    ----------
    rows : tuple of Rate
        One row per category, in the order given.
    total : int or None
        Denominator (``None`` when suppressed).
    level : float
        Confidence level of the intervals.
    """

    rows: tuple[Rate, ...]
    total: int | None
    level: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready table."""
        return {
            "total": self.total,
            "level": self.level,
            "rows": [row.to_dict() for row in self.rows],
        }

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per category, for CSV export."""
        return [row.to_dict() for row in self.rows]


def clean_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Validate category counts: non-negative whole numbers, keys as strings."""
    clean: dict[str, int] = {}
    for category, value in counts.items():
        if isinstance(value, bool) or not float(value).is_integer() or value < 0:
            raise ValueError(f"count for {category!r} must be a non-negative whole number")
        clean[str(category)] = int(value)
    return clean


def rate_table(
    counts: Mapping[str, int], total: int | None = None, *, level: float = 0.95
) -> RateTable:
    """Turn classification counts into proportions with Wilson intervals.

    Parameters
    ----------
    counts : mapping of str to int
        Episodes per category, e.g. ``{"recovered": 12, "improved": 20, ...}``.
    total : int, optional
        Denominator. Default: the sum of ``counts`` (mutually exclusive categories such as
        recovered / improved / unchanged / deteriorated). Pass it for overlapping categories
        (response and remission out of all episodes with a follow-up).
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    RateTable

    Examples
    --------
    >>> table = rate_table({"recovered": 81, "not recovered": 182})
    >>> round(table.rows[0].proportion, 3), round(table.rows[0].ci_low, 4)
    (0.308, 0.2553)
    """
    clean = clean_counts(counts)
    denominator = sum(clean.values()) if total is None else int(total)
    if denominator < 1:
        raise ValueError("the table has no episodes")
    if any(value > denominator for value in clean.values()):
        raise ValueError("a category count exceeds the total")
    values = np.array(list(clean.values()), dtype=float)
    lo, hi = wilson_interval(values, denominator, level)
    rows = tuple(
        Rate(
            category=category,
            count=count,
            total=denominator,
            proportion=count / denominator,
            ci_low=float(lo[i]),
            ci_high=float(hi[i]),
        )
        for i, (category, count) in enumerate(clean.items())
    )
    return RateTable(rows=rows, total=denominator, level=level)


# --- small-cell suppression -------------------------------------------------------------


@dataclass(frozen=True)
class Suppression:
    """Which cells and margins of a count table must be hidden.

    Attributes
    ----------
    cells : numpy.ndarray of bool
        Mask over the table (rows = groups, columns = categories).
    row_totals, column_totals : numpy.ndarray of bool
        Masks over the row and column totals.
    """

    cells: NDArray[np.bool_]
    row_totals: NDArray[np.bool_]
    column_totals: NDArray[np.bool_]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready masks."""
        return {
            "cells": self.cells.tolist(),
            "row_totals": self.row_totals.tolist(),
            "column_totals": self.column_totals.tolist(),
        }


def _is_small(values: NDArray[np.int64], min_count: int) -> NDArray[np.bool_]:
    return (values >= 1) & (values < min_count)


def _protect_line(
    values: NDArray[np.int64], hidden: NDArray[np.bool_], margin_hidden: bool
) -> bool:
    """Complementary suppression along one row or column whose total is published.

    If exactly one cell of the line is hidden, it equals the published total minus the
    others, so hide one more: the smallest shown non-zero cell (hiding a zero would not
    protect anything, as a reader knows its value is at most the total), or the smallest
    shown cell if all are zero. Returns whether anything changed.
    """
    if margin_hidden or int(hidden.sum()) != 1 or hidden.all():
        return False
    shown = np.flatnonzero(~hidden)
    positive = shown[values[shown] > 0]
    pool = positive if positive.size else shown
    hidden[pool[np.argmin(values[pool])]] = True
    return True


def suppress_small_cells(table: ArrayLike, *, min_count: int = MIN_CELL_COUNT) -> Suppression:
    """Mask a count table (groups x categories) for a de-identified researcher view.

    The rule (CMS Cell Size Suppression Policy; see :data:`MIN_CELL_COUNT`):

    1. *Primary suppression*: every cell, row total and column total from 1 to
       ``min_count - 1`` (1-10 by default) is hidden. Zeros are shown, as CMS allows.
    2. *Complementary suppression*: row and column totals (and so the grand total) are
       published, so a line with exactly one hidden cell would give it away by
       subtraction; one more cell of that line is hidden (the smallest shown non-zero
       one). The same applies to the row totals against the grand total and to the column
       totals. Repeated until no line has exactly one hidden cell.
    3. A row whose total is hidden has all its cells hidden (each is at most the total).

    This guards against exact recovery by subtraction within the table; it does not
    guarantee protection across several overlapping tables, which is why researcher views
    only show pre-defined tables.

    Parameters
    ----------
    table : array_like
        Non-negative integer counts, shape (groups, categories); a 1-D array is one group.
    min_count : int
        Smallest count that may be shown (default 11).

    Returns
    -------
    Suppression

    Examples
    --------
    >>> mask = suppress_small_cells([[40, 3, 25], [50, 20, 30]])
    >>> mask.cells.tolist()
    [[False, True, True], [False, True, True]]
    """
    values = np.atleast_2d(np.asarray(table))
    if values.ndim != 2 or not np.issubdtype(values.dtype, np.number):
        raise ValueError("table must be a 1-D or 2-D array of counts")
    if np.any(values < 0) or np.any(values != np.round(values)):
        raise ValueError("table must hold non-negative whole counts")
    counts = values.astype(np.int64)
    row_sum, col_sum = counts.sum(axis=1), counts.sum(axis=0)
    cells = _is_small(counts, min_count)
    rows_hidden = _is_small(row_sum, min_count)
    cols_hidden = _is_small(col_sum, min_count)
    changed = True
    while changed:
        changed = False
        cells[rows_hidden] = True
        changed |= _protect_line(row_sum, rows_hidden, False)  # rows vs grand total
        changed |= _protect_line(col_sum, cols_hidden, False)  # columns vs grand total
        for i in range(counts.shape[0]):
            changed |= _protect_line(counts[i], cells[i], bool(rows_hidden[i]))
        for j in range(counts.shape[1]):
            column = cells[:, j].copy()
            if _protect_line(counts[:, j], column, bool(cols_hidden[j])):
                cells[:, j] = column
                changed = True
    return Suppression(cells=cells, row_totals=rows_hidden, column_totals=cols_hidden)


def suppressed_rate_table(
    counts: Mapping[str, int], *, min_count: int = MIN_CELL_COUNT, level: float = 0.95
) -> RateTable:
    """:func:`rate_table` for a researcher view, with small cells hidden.

    Hidden cells lose their count, proportion and interval (a proportion and its total
    give the count back). If the total itself is small, every row is hidden.

    Parameters
    ----------
    counts : mapping of str to int
        Mutually exclusive categories; their sum is the published total.
    min_count : int
        Smallest count that may be shown (default 11, see :data:`MIN_CELL_COUNT`).
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    RateTable
    """
    table = rate_table(counts, level=level)
    mask = suppress_small_cells(list(clean_counts(counts).values()), min_count=min_count)
    total_hidden = bool(mask.row_totals[0])
    rows = tuple(
        Rate(row.category, None, None, None, None, None, suppressed=True)
        if hidden
        else Rate(
            row.category,
            row.count,
            None if total_hidden else row.total,
            row.proportion,
            row.ci_low,
            row.ci_high,
        )
        for row, hidden in zip(table.rows, mask.cells[0], strict=True)
    )
    return RateTable(rows=rows, total=None if total_hidden else table.total, level=level)


# --- pre-post effect size ---------------------------------------------------------------


@dataclass(frozen=True)
class PrePostEffect:
    """Standardized mean change of paired pre/post scores.

    Attributes
    ----------
    g : float
        Hedges' g (bias-corrected standardized mean change), positive = improvement.
    variance, se, ci_low, ci_high : float
        Its large-sample variance, standard error and confidence interval.
    d : float
        The uncorrected standardized mean change.
    n : int
        Number of pairs.
    mean_pre, mean_post, sd_pre, r : float
        Summary statistics used.
    level : float
        Confidence level.
    """

    g: float
    variance: float
    se: float
    ci_low: float
    ci_high: float
    d: float
    n: int
    mean_pre: float
    mean_post: float
    sd_pre: float
    r: float
    level: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready summary."""
        return dict(self.__dict__)


def hedges_correction(df: float) -> float:
    """Exact small-sample correction ``J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))``.

    Hedges 1981, *J Educ Stat* 6(2):107-128, doi:10.3102/10769986006002107; metafor's
    ``.cmicalc`` (used by ``escalc``) computes the same. About ``1 - 3 / (4 df - 1)``.
    """
    if df <= 1:
        raise ValueError("need more than one degree of freedom")
    return math.exp(
        special.gammaln(df / 2) - 0.5 * math.log(df / 2) - special.gammaln((df - 1) / 2)
    )


def prepost_hedges_g(
    pre: ArrayLike, post: ArrayLike, *, higher_is_better: bool, level: float = 0.95
) -> PrePostEffect:
    """Pre-post effect size: standardized mean change with raw-score (pre-test SD) scaling.

    The formula is metafor's ``escalc(measure = "SMCR")`` (Becker 1988, *Br J Math Stat
    Psychol* 41:257-278, doi:10.1111/j.2044-8317.1988.tb00901.x; Morris & DeShon 2002,
    *Psychol Methods* 7(1):105-125, doi:10.1037/1082-989X.7.1.105, the "raw-score" metric;
    Lakens 2013 discusses it beside ``d_av`` and ``d_rm``)::

        d = (M_post - M_pre) / SD_pre          (sign flipped if lower is better)
        g = J(n - 1) d
        Var(g) = 2 (1 - r) / n + g^2 / (2 n)   (metafor's default large-sample variance)

    with ``r`` the pre-post correlation. Chosen because it keeps the scale of the pre-test
    (the population the clinic treats), is what practice-based benchmarks report, and can
    be pooled with published trials by the meta-analysis engine on the same definition.
    The interval is ``g -/+ z sqrt(Var(g))``.

    Parameters
    ----------
    pre, post : array_like
        Paired scores of the episodes with both a baseline and a follow-up.
    higher_is_better : bool
        Direction of the instrument (``False`` for PHQ-9, GAD-7; ``True`` for WHO-5), so
        that a positive ``g`` always means improvement.
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    PrePostEffect

    Raises
    ------
    ValueError
        Fewer than three pairs, unequal lengths, missing values, or no spread at baseline.
    """
    x = np.asarray(pre, dtype=float)
    y = np.asarray(post, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError("pre and post must be paired one-dimensional arrays")
    bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
    if bad.size:
        raise ValueError(f"missing or infinite score in pair {int(bad[0])}")
    n = x.size
    if n < 3:
        raise ValueError("need at least three pre-post pairs")
    sd_pre = float(np.std(x, ddof=1))
    if sd_pre == 0:
        raise ValueError("baseline scores do not vary, so the change cannot be standardized")
    r = float(np.corrcoef(x, y)[0, 1]) if np.std(y) > 0 else 0.0
    return prepost_effect_from_summary(
        n,
        float(x.mean()),
        float(y.mean()),
        sd_pre,
        r,
        higher_is_better=higher_is_better,
        level=level,
    )


def prepost_effect_from_summary(
    n: int,
    mean_pre: float,
    mean_post: float,
    sd_pre: float,
    r: float,
    *,
    higher_is_better: bool,
    level: float = 0.95,
) -> PrePostEffect:
    """:func:`prepost_hedges_g` from summary statistics instead of paired scores.

    The same formula (metafor ``escalc(measure = "SMCR")``), for callers that hold only the
    sufficient statistics of the pairs, e.g. the research network, whose engines return sums
    per clinic rather than every episode. ``r`` is the pre-post correlation (0 when the
    follow-up scores do not vary, as :func:`prepost_hedges_g` takes it).

    Examples
    --------
    >>> e = prepost_effect_from_summary(10, 15.0, 9.0, 4.0, 0.5, higher_is_better=False)
    >>> round(e.g, 4), round(e.variance, 4)
    (1.3708, 0.194)
    """
    if n < 3:
        raise ValueError("need at least three pre-post pairs")
    if not sd_pre > 0:
        raise ValueError("baseline scores do not vary, so the change cannot be standardized")
    sign = 1.0 if higher_is_better else -1.0
    d = sign * (mean_post - mean_pre) / sd_pre
    g = hedges_correction(n - 1) * d
    variance = 2 * (1 - r) / n + g * g / (2 * n)
    se = math.sqrt(variance)
    z = _z(level)
    return PrePostEffect(
        g=g,
        variance=variance,
        se=se,
        ci_low=g - z * se,
        ci_high=g + z * se,
        d=d,
        n=n,
        mean_pre=mean_pre,
        mean_post=mean_post,
        sd_pre=sd_pre,
        r=r,
        level=level,
    )


# --- dose-response ----------------------------------------------------------------------

#: Default session-count bins: 1-3, 4-6, 7-9, 10-12, 13 or more (left-closed edges).
DEFAULT_SESSION_BINS: tuple[float, ...] = (1, 4, 7, 10, 13, math.inf)


@dataclass(frozen=True)
class DoseBin:
    """Outcomes of the episodes whose number of sessions falls in one bin.

    Attributes
    ----------
    label : str
        E.g. ``"4-6"`` or ``"13+"``.
    n : int
        Episodes in the bin.
    improved : int
        Episodes classified improved (or recovered) in the bin.
    rate, ci_low, ci_high : float or None
        Improvement rate and its Wilson interval (``None`` for an empty bin).
    mean_change, sd_change : float or None
        Mean and SD of the score change (post - pre), signed so that positive is better.
    """

    label: str
    n: int
    improved: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    mean_change: float | None
    sd_change: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/CSV-ready row."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DoseResponse:
    """Outcomes by number of sessions, with a rank-correlation trend.

    Attributes
    ----------
    bins : tuple of DoseBin
        One row per session-count bin.
    spearman_rho, spearman_p : float or None
        Spearman correlation of sessions with improvement in score and its two-sided p
        (``None`` with fewer than three episodes or no variation).
    """

    bins: tuple[DoseBin, ...]
    spearman_rho: float | None
    spearman_p: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready summary."""
        return {
            "bins": [b.to_dict() for b in self.bins],
            "spearman_rho": self.spearman_rho,
            "spearman_p": self.spearman_p,
        }


def session_bin_label(low: float, high: float) -> str:
    """The label of the session-count bin ``[low, high)``: ``"1-3"``, ``"7"``, ``"13+"``."""
    if math.isinf(high):
        return f"{low:g}+"
    if high - low == 1:
        return f"{low:g}"
    return f"{low:g}-{high - 1:g}"


def dose_response(
    sessions: ArrayLike,
    change: ArrayLike,
    improved: ArrayLike,
    *,
    higher_is_better: bool,
    bins: Sequence[float] = DEFAULT_SESSION_BINS,
    level: float = 0.95,
) -> DoseResponse:
    """Summarise outcomes by number of sessions (dose-response).

    Parameters
    ----------
    sessions : array_like of int
        Sessions attended in each episode.
    change : array_like
        Score change post - pre of each episode (raw, as scored).
    improved : array_like of bool
        Whether each episode counts as improved (e.g. reliably improved or recovered).
    higher_is_better : bool
        Direction of the instrument, so that a positive mean change means better.
    bins : sequence of float
        Increasing, left-closed bin edges on the number of sessions (default 1-3, 4-6,
        7-9, 10-12, 13+). Episodes outside the edges are left out.
    level : float
        Confidence level of the Wilson intervals (default 0.95).

    Returns
    -------
    DoseResponse
        Per-bin counts, improvement rates with Wilson intervals and mean changes, plus
        Spearman's rank correlation (scipy ``spearmanr``) of sessions with the signed change
        as a simple, assumption-light trend summary (not a causal dose effect: clients who
        improve early may stop early).
    """
    s = np.asarray(sessions, dtype=float)
    c = np.asarray(change, dtype=float)
    ok = np.asarray(improved, dtype=bool)
    if not (s.shape == c.shape == ok.shape) or s.ndim != 1:
        raise ValueError("sessions, change and improved must be equal-length 1-D arrays")
    bad = np.flatnonzero(~(np.isfinite(s) & np.isfinite(c)))
    if bad.size:
        raise ValueError(f"missing or infinite value in episode {int(bad[0])}")
    edges = np.asarray(bins, dtype=float)
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("bins must be at least two increasing edges")
    signed = c if higher_is_better else -c
    rows = []
    for low, high in itertools.pairwise(edges):
        inside = (s >= low) & (s < high)
        n = int(inside.sum())
        k = int(ok[inside].sum())
        if n:
            lo, hi = wilson_interval(k, n, level)
            sd = float(np.std(signed[inside], ddof=1)) if n > 1 else None
            rows.append(
                DoseBin(
                    session_bin_label(low, high),
                    n,
                    k,
                    k / n,
                    float(lo),
                    float(hi),
                    float(signed[inside].mean()),
                    sd,
                )
            )
        else:
            rows.append(DoseBin(session_bin_label(low, high), 0, 0, None, None, None, None, None))
    rho: float | None = None
    p: float | None = None
    if s.size >= 3 and np.ptp(s) > 0 and np.ptp(signed) > 0:
        result = stats.spearmanr(s, signed)
        rho, p = float(result.statistic), float(result.pvalue)
    return DoseResponse(bins=tuple(rows), spearman_rho=rho, spearman_p=p)
