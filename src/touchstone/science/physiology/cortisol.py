"""Cortisol per day: the cortisol awakening response (CAR) and the diurnal slope.

Conventions (all times are *minutes since waking*, all concentrations nmol/L — convert first
with :func:`touchstone.science.physiology.units.to_canonical`):

* **Waking sample** (S1): the first sample, taken within ``WAKING_TOLERANCE_MIN`` = 5 min of
  waking. Stalder et al. 2016 (expert consensus guidelines on CAR assessment,
  Psychoneuroendocrinology 63:414-432) warn that delays of more than a few minutes between
  waking and S1 bias the CAR; a day whose first sample is later has no CAR here.
* **CAR window**: 0-60 min after waking (the same guidelines' usual 0/30/45/60 min design).
* **AUCg and AUCi**: Pruessner JC, Kirschbaum C, Meinlschmid G, Hellhammer DH. Two formulas
  for computation of the area under the curve... Psychoneuroendocrinology 2003;28:916-931,
  formulas (2) and (3): AUCg = Σ (m(i+1) + m(i)) / 2 · t(i), the trapezoid area above zero,
  and AUCi = AUCg - m(1) · Σ t(i), the area above the waking baseline. Units nmol/L·min.
  Needs at least 3 samples in the window including S1 (two points make a difference, not a
  curve; Stalder 2016 recommend at least the 0, 30 and 45 min samples).
* **CAR increase** (ΔCAR, "R30"): the highest sample 30-45 min after waking minus S1 — the
  CAR peaks 30-45 min after waking (Pruessner et al. 1997, Life Sci 61:2539; Stalder 2016).
  Needs S1 and one sample in 30-45 min.
* **Diurnal slope**: ordinary least squares of **ln(cortisol)** on hours since waking, using
  S1 and the samples after the CAR window (> 60 min), leaving out the CAR rise that would
  flatten it — the "wake-to-bed" slope of Adam & Kumari 2009 (Psychoneuroendocrinology
  34:1423-1436) and the meta-analysis Adam et al. 2017 (Psychoneuroendocrinology 83:25-41).
  Log because cortisol is right-skewed and falls roughly exponentially over the day; the slope
  is in ln-units per hour, reported also as percent change per hour, 100·(exp(b) - 1), and
  (``raw_slope``) as nmol/L per hour from the same samples. Needs at least 3 samples
  spanning at least 6 hours, S1 among them.

Impossible values raise :class:`~touchstone.science.physiology.PhysiologyError`:
concentrations ≤ 0 or not finite, minutes since waking negative or beyond 24 h, two samples
at the same minute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from touchstone.science.physiology import PhysiologyError
from touchstone.science.physiology.units import check_concentration

WAKING_TOLERANCE_MIN = 5.0
CAR_WINDOW_MIN = 60.0
PEAK_WINDOW_MIN = (30.0, 45.0)
MIN_CAR_SAMPLES = 3
MIN_SLOPE_SAMPLES = 3
MIN_SLOPE_SPAN_H = 6.0
DAY_MIN = 24 * 60


@dataclass(frozen=True)
class CortisolDay:
    """One day's cortisol summary; a metric the samples do not allow is ``None``.

    ``notes`` says, for each ``None``, which samples were missing.
    """

    n_samples: int
    waking_nmol_l: float | None
    auc_g: float | None
    auc_i: float | None
    car_increase: float | None
    slope_ln_per_h: float | None
    slope_pct_per_h: float | None
    raw_slope_nmol_l_per_h: float | None
    slope_n: int
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["notes"] = list(self.notes)
        return d


def validate_samples(
    minutes_since_waking: Sequence[float], nmol_l: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Check one day's samples and return them sorted by time, as float arrays.

    Raises
    ------
    PhysiologyError
        On unequal lengths, an impossible concentration, a time outside 0-1440 min, or two
        samples at the same minute.
    """
    if len(minutes_since_waking) != len(nmol_l):
        raise PhysiologyError("each cortisol sample needs one time and one value")
    for i, (minute, value) in enumerate(zip(minutes_since_waking, nmol_l, strict=True), 1):
        try:
            check_concentration(float(value))
        except PhysiologyError as error:
            raise PhysiologyError(f"sample {i}: {error}") from None
        if not (math.isfinite(minute) and 0 <= minute <= DAY_MIN):
            raise PhysiologyError(
                f"sample {i}: {minute!r} minutes since waking is out of range (0 to {DAY_MIN})"
            )
    t = np.asarray(minutes_since_waking, dtype=float)
    c = np.asarray(nmol_l, dtype=float)
    order = np.argsort(t, kind="stable")
    t, c = t[order], c[order]
    duplicated = np.flatnonzero(np.diff(t) == 0)
    if duplicated.size:
        raise PhysiologyError(f"two samples at {t[duplicated[0]]:g} minutes since waking")
    return t, c


def auc_pruessner(minutes: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """Return (AUCg, AUCi) per Pruessner et al. 2003, formulas (2) and (3).

    Examples
    --------
    >>> auc_pruessner(np.array([0.0, 30.0, 45.0]), np.array([10.0, 20.0, 16.0]))
    (720.0, 270.0)
    """
    intervals = np.diff(minutes)
    auc_g = float(np.sum((values[1:] + values[:-1]) / 2 * intervals))
    auc_i = auc_g - float(values[0] * np.sum(intervals))
    return auc_g, auc_i


def ols_slope(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    """The ordinary least-squares slope of ``y`` on ``x``: cov(x, y) / var(x).

    Computed as ``scipy.stats.linregress`` computes its slope (``np.cov(x, y, bias=1)``), so
    the result is the same to the last bit, without the correlation, p-value and standard
    errors linregress adds (nine tenths of its cost, paid on every progress page).

    Examples
    --------
    >>> ols_slope(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]))
    2.0
    """
    ssxm, ssxym, _, _ = np.cov(x, y, bias=True).flat
    return float(ssxym / ssxm)


def cortisol_day(minutes_since_waking: Sequence[float], nmol_l: Sequence[float]) -> CortisolDay:
    """Cortisol awakening response and diurnal slope for one day, where the samples allow.

    Parameters
    ----------
    minutes_since_waking : sequence of float
        Sample times, minutes after waking (0-1440).
    nmol_l : sequence of float
        Concentrations in nmol/L (> 0).

    Returns
    -------
    CortisolDay
        See the module docstring for each definition and its minimum samples.

    Examples
    --------
    >>> day = cortisol_day([0, 30, 45, 60, 240, 720, 900], [12, 20, 18, 15, 8, 4, 3])
    >>> day.car_increase
    8.0
    """
    t, c = validate_samples(minutes_since_waking, nmol_l)
    notes: list[str] = []
    has_waking = t.size > 0 and t[0] <= WAKING_TOLERANCE_MIN
    if not has_waking:
        notes.append(f"no waking sample within {WAKING_TOLERANCE_MIN:g} min of waking")

    waking = float(c[0]) if has_waking else None
    auc_g = auc_i = car_increase = None
    in_window = t <= CAR_WINDOW_MIN
    if has_waking and int(in_window.sum()) >= MIN_CAR_SAMPLES:
        auc_g, auc_i = auc_pruessner(t[in_window], c[in_window])
    elif has_waking:
        notes.append(f"AUC needs {MIN_CAR_SAMPLES} samples within {CAR_WINDOW_MIN:g} min of waking")
    in_peak = (t >= PEAK_WINDOW_MIN[0]) & (t <= PEAK_WINDOW_MIN[1])
    if has_waking and in_peak.any():
        car_increase = float(c[in_peak].max() - c[0])
    elif has_waking:
        notes.append("CAR increase needs a sample 30-45 min after waking")

    slope = pct = raw = None
    use = np.zeros(t.size, dtype=bool)
    if has_waking:
        use = t > CAR_WINDOW_MIN
        use[0] = True
        span_h = (t[use].max() - t[use].min()) / 60
        if int(use.sum()) >= MIN_SLOPE_SAMPLES and span_h >= MIN_SLOPE_SPAN_H:
            hours = t[use] / 60
            slope = ols_slope(hours, np.log(c[use]))
            pct = 100 * math.expm1(slope)
            raw = ols_slope(hours, c[use])
        else:
            notes.append(
                f"diurnal slope needs the waking sample and {MIN_SLOPE_SAMPLES - 1} more "
                f"after {CAR_WINDOW_MIN:g} min, spanning {MIN_SLOPE_SPAN_H:g} h"
            )
    return CortisolDay(
        n_samples=int(t.size),
        waking_nmol_l=waking,
        auc_g=auc_g,
        auc_i=auc_i,
        car_increase=car_increase,
        slope_ln_per_h=slope,
        slope_pct_per_h=pct,
        raw_slope_nmol_l_per_h=raw,
        slope_n=int(use.sum()) if slope is not None else 0,
        notes=tuple(notes),
    )
