"""Heart-rate variability from RR-interval recordings: reading, artifacts, metrics.

Reading (:func:`read_rr`) accepts exactly two shapes of text, anything else is rejected
with a message naming the line:

* **Plain RR list** — one RR interval in milliseconds per line, optionally one non-numeric
  header line first (``rr_ms``, ``RR``, ...), blank lines ignored. This is also a one-column
  CSV, and it is what the **Elite HRV** app exports (one ``.txt`` per reading, RR in ms, one
  per line, no timestamps) and what **Polar Flow** gives as its "RR" text export.
* **Polar Sensor Logger RR export** (the Android app used with Polar H10 straps) — a
  semicolon-separated file whose first line is ``Phone timestamp;RR-interval [ms]`` and
  whose rows are ``<ISO 8601 phone timestamp>;<RR in ms>``, e.g.
  ``2024-06-01T21:17:07.832;1111``.

Artifacts (:func:`correct_artifacts`) — two documented methods, never silent: each returns
how many beats it changed, and a recording with more than ``max_corrected_fraction`` (20 %)
corrected beats is refused as too noisy, rather than analysed.

* ``"threshold"`` (default, our numpy code; fast and exactly testable): a beat is an
  artifact when its RR is outside the physiological range 300-2000 ms (200-30 bpm), or when
  it differs by more than 20 % from the median of the 11 surrounding in-range beats — the
  20 % criterion of Malik et al. 1989 (Eur Heart J 10:1060-1074), applied against a local
  median instead of the previous beat so that the normal beat after a compensatory pause is
  not flagged too. Artifacts are replaced by linear interpolation between the neighbouring
  accepted beats (the number of beats is kept).
* ``"kubios"``: Lipponen JA & Tarvainen MP 2019, "A robust algorithm for heart rate
  variability time series artefact correction using novel beat classification", J Med Eng
  Technol 43(3):173-181, as implemented by NeuroKit2 ``signal_fixpeaks(method="Kubios")``;
  it inserts, removes or moves beats. Beats still outside 300-2000 ms afterwards are
  interpolated as above. About 10x slower (see docs/benchmarks.md). Needs the optional
  NeuroKit2 (``hrv-reference`` extra); without it this method is refused with a message.

Metrics — Task Force of the ESC and NASPE 1996, "Heart rate variability: standards of
measurement, physiological interpretation and clinical use", Circulation 93:1043-1065:

* time domain, hand-vectorised with numpy (each is a one-line Task Force definition and
  NeuroKit2's ``hrv_time`` computes ~25 extra indices, ~1.5 s for 100,000 beats; the test
  suite cross-checks ours against it): mean RR (ms); mean HR = 60000 / mean RR (bpm); SDNN =
  sample SD of RR (ddof = 1, ms); RMSSD = √mean(ΔRR²) (ms); pNN50 = 100 x #(|ΔRR| > 50 ms)
  / number of RR intervals (Task Force: "NN50 divided by the total number of all NN
  intervals"; NeuroKit2 uses the same denominator).
* frequency domain, our scipy code (:func:`frequency_domain`), Welch's periodogram of the
  resampled tachogram as the Task Force describes it (section "Frequency domain methods";
  Welch PD 1967, IEEE Trans Audio Electroacoust 15:70-73): the RR series, placed at the
  times of its beats, is resampled at 4 Hz with a quadratic spline (the first and last
  values held outside the beats), its mean removed, and its power spectral density
  estimated with Hann windows of half its length, 50 % overlap and zero-padding to twice
  the window (``scipy.signal.welch``, ``scaling="density"``, no detrending). Power is the
  trapezoidal integral of the density over LF 0.04-0.15 Hz and HF 0.15-0.40 Hz (lower edge
  included, upper excluded), in ms² (absolute, not normalised), and LF/HF their ratio. Task
  Force: HF needs about 1 min of recording and LF about 2 min, so shorter recordings give
  ``None`` for those.

  These are exactly the steps, and the numbers, of NeuroKit2 0.2-0.3 ``hrv_frequency(...,
  psd_method="welch", interpolation_rate=4, normalize=False)``, which computed them before
  (Makowski et al. 2021, Behav Res Methods 53:1689-1696): recordings stored then and now
  stay comparable, before and after a visit. The test suite checks the agreement on every
  run (``test_it_agrees_with_neurokit2_in_the_frequency_domain``). Kubios HRV (Tarvainen et
  al. 2014, Comput Methods Programs Biomed 113:210-220) resamples with a cubic spline and
  removes slow trends with smoothness priors (Tarvainen et al. 2002, IEEE Trans Biomed Eng
  49:172-175) before its spectrum, so its LF/HF are close to ours but not equal.

NeuroKit2 is an optional extra (``hrv-reference``, always installed with the development
tools; ``pip install 'neurokit2>=0.2.10'`` adds it): it brings scikit-learn, matplotlib and
PyWavelets (about 100 MB, several seconds of import) for what is one Welch spectrum here.
Only the ``"kubios"`` artifact method still calls it, and says so clearly when it is missing.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from touchstone.science.physiology import PhysiologyError

RR_MIN_MS = 300.0
RR_MAX_MS = 2000.0
MALIK_FRACTION = 0.20
MEDIAN_WINDOW = 11
MAX_CORRECTED_FRACTION = 0.20
MIN_BEATS = 10
LF_BAND = (0.04, 0.15)
HF_BAND = (0.15, 0.40)
MIN_DURATION_LF_S = 120.0
MIN_DURATION_HF_S = 60.0
RESAMPLE_HZ = 4
POLAR_HEADER = "Phone timestamp;RR-interval [ms]"

ArtifactMethod = Literal["threshold", "kubios"]
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class RRRecording:
    """RR intervals in ms as read from a file, and which format they came in."""

    rr_ms: np.ndarray
    format: Literal["plain", "polar_sensor_logger"]

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "n_beats": int(self.rr_ms.size)}


def _number(text: str, line_no: int, what: str) -> float:
    if not _NUMBER.fullmatch(text):
        raise PhysiologyError(f"line {line_no}: expected {what}, found {text[:40]!r}")
    value = float(text)
    if value <= 0:
        raise PhysiologyError(f"line {line_no}: RR interval {text} ms is impossible (must be > 0)")
    return value


def read_rr(text: str) -> RRRecording:
    """Parse an RR-interval file (see the module docstring for the two accepted formats).

    Raises
    ------
    PhysiologyError
        Naming the first line that is not an RR interval in the detected format, or when the
        file is empty or its values look like seconds rather than milliseconds.
    """
    lines = text.lstrip("\ufeff").splitlines()
    numbered = [(i, line.strip()) for i, line in enumerate(lines, 1) if line.strip()]
    if not numbered:
        raise PhysiologyError("the file contains no RR intervals")
    first_no, first = numbered[0]
    values: list[float] = []
    if first.rstrip(";") == POLAR_HEADER:
        fmt: Literal["plain", "polar_sensor_logger"] = "polar_sensor_logger"
        for line_no, line in numbered[1:]:
            parts = line.rstrip(";").split(";")
            if len(parts) != 2:
                raise PhysiologyError(
                    f"line {line_no}: expected 'timestamp;RR in ms', found {line[:40]!r}"
                )
            try:
                datetime.fromisoformat(parts[0].strip())
            except ValueError:
                raise PhysiologyError(
                    f"line {line_no}: {parts[0][:40]!r} is not an ISO 8601 timestamp"
                ) from None
            values.append(_number(parts[1].strip(), line_no, "an RR interval in ms"))
    else:
        fmt = "plain"
        body = numbered
        if not _NUMBER.fullmatch(first):
            if any(sep in first for sep in ",;\t"):
                raise PhysiologyError(
                    f"line {first_no}: unrecognised header {first[:40]!r}; expected one RR "
                    f"interval in ms per line, or a Polar Sensor Logger file ({POLAR_HEADER!r})"
                )
            body = numbered[1:]
        for line_no, line in body:
            values.append(_number(line, line_no, "one RR interval in ms per line"))
    if not values:
        raise PhysiologyError("the file contains no RR intervals")
    rr = np.asarray(values, dtype=float)
    if float(np.median(rr)) < 10:
        raise PhysiologyError(
            "the RR intervals look like seconds (median below 10); give them in milliseconds"
        )
    return RRRecording(rr_ms=rr, format=fmt)


def read_rr_file(path: str | Path) -> RRRecording:
    """Read an RR-interval file from disk (UTF-8); see :func:`read_rr`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PhysiologyError(f"{path}: not a text file (UTF-8 expected)") from None
    return read_rr(text)


@dataclass(frozen=True)
class ArtifactCorrection:
    """The corrected RR series and what was changed to get it."""

    rr_ms: np.ndarray
    method: ArtifactMethod
    n_input: int
    n_out_of_range: int
    n_ectopic: int

    @property
    def n_corrected(self) -> int:
        return self.n_out_of_range + self.n_ectopic

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "n_input": self.n_input,
            "n_out_of_range": self.n_out_of_range,
            "n_ectopic": self.n_ectopic,
            "n_corrected": self.n_corrected,
        }


def _interpolate(rr: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    keep = ~flagged
    if not keep.any():
        raise PhysiologyError(
            "every RR interval is an artifact; nothing left to analyse", reason="all_artifacts"
        )
    index = np.arange(rr.size)
    out = rr.copy()
    out[flagged] = np.interp(index[flagged], index[keep], rr[keep])
    return out


def _threshold(rr: np.ndarray) -> tuple[np.ndarray, int, int]:
    out_of_range = (rr < RR_MIN_MS) | (rr > RR_MAX_MS)
    reference = np.full(rr.size, np.nan)
    valid = rr[~out_of_range]
    if valid.size:
        from scipy import ndimage  # here, not at import: scipy costs a command ~1 s to load

        reference[~out_of_range] = ndimage.median_filter(valid, size=MEDIAN_WINDOW, mode="nearest")
    with np.errstate(invalid="ignore"):
        ectopic = ~out_of_range & (np.abs(rr - reference) > MALIK_FRACTION * reference)
    flagged = out_of_range | ectopic
    return _interpolate(rr, flagged), int(out_of_range.sum()), int(ectopic.sum())


KUBIOS_NEEDS = (
    "the kubios artifact method needs NeuroKit2, which is not installed (the optional "
    "hrv-reference extra: pip install 'neurokit2>=0.2.10'); use the threshold method"
)


def _kubios(rr: np.ndarray) -> tuple[np.ndarray, int, int]:
    try:
        # Imported here, not at the top: it is optional and takes seconds to load.
        import neurokit2 as nk
    except ImportError:
        raise PhysiologyError(KUBIOS_NEEDS, reason="method_unavailable") from None

    peaks = np.asarray(nk.intervals_to_peaks(rr, sampling_rate=1000))
    kinds = ("ectopic", "missed", "extra", "longshort")
    n_fixed, previous = 0, rr.size + 1
    # NeuroKit2's iterative mode reports only its last pass, so we run its passes here with
    # its own stopping rule (repeat while the number of artifacts decreases) and count each.
    for _ in range(20):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info, fixed = nk.signal_fixpeaks(
                peaks, sampling_rate=1000, method="Kubios", iterative=False
            )
        found = len({int(i) for kind in kinds for i in info.get(kind, [])})
        if found == 0 or found >= previous:
            break
        n_fixed += found
        previous = found
        peaks = np.asarray(fixed)
    corrected = np.diff(peaks.astype(float)) if n_fixed else rr
    out_of_range = (corrected < RR_MIN_MS) | (corrected > RR_MAX_MS)
    corrected = _interpolate(corrected, out_of_range)
    return corrected, int(out_of_range.sum()), n_fixed


def correct_artifacts(
    rr_ms: Sequence[float] | np.ndarray,
    method: ArtifactMethod = "threshold",
    max_corrected_fraction: float = MAX_CORRECTED_FRACTION,
) -> ArtifactCorrection:
    """Detect and correct artifacts in an RR series (methods in the module docstring).

    Raises
    ------
    PhysiologyError
        If more than ``max_corrected_fraction`` of the beats needed correcting, or all did.
    """
    rr = np.asarray(rr_ms, dtype=float)
    if rr.ndim != 1 or not np.all(np.isfinite(rr)):
        raise PhysiologyError("RR intervals must be a flat list of finite numbers")
    if method == "threshold":
        corrected, n_range, n_ectopic = _threshold(rr)
    elif method == "kubios":
        corrected, n_range, n_ectopic = _kubios(rr)
    else:
        raise PhysiologyError(
            f"unknown artifact method {method!r}; use threshold or kubios", reason="unknown_method"
        )
    result = ArtifactCorrection(corrected, method, int(rr.size), n_range, n_ectopic)
    if result.n_corrected > max_corrected_fraction * rr.size:
        raise PhysiologyError(
            f"{result.n_corrected} of {rr.size} beats are artifacts "
            f"({100 * result.n_corrected / rr.size:.1f} %, more than "
            f"{100 * max_corrected_fraction:g} %): the recording is too noisy to analyse",
            reason="too_noisy",
        )
    return result


@dataclass(frozen=True)
class TimeDomain:
    """Task Force 1996 time-domain indices (ms, bpm, percent)."""

    n_beats: int
    duration_s: float
    mean_rr: float
    mean_hr: float
    sdnn: float
    rmssd: float
    ln_rmssd: float
    pnn50: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def time_domain(rr_ms: Sequence[float] | np.ndarray) -> TimeDomain:
    """Time-domain HRV of an artifact-free RR series in ms (definitions in module docstring).

    Examples
    --------
    >>> round(time_domain([800, 810, 790, 850, 800, 805, 795, 900, 800, 810]).rmssd, 2)
    55.63
    """
    rr = np.asarray(rr_ms, dtype=float)
    if rr.size < MIN_BEATS:
        raise PhysiologyError(
            f"{rr.size} beats is too few; HRV needs at least {MIN_BEATS}", reason="too_few_beats"
        )
    diff = np.diff(rr)
    mean_rr = float(rr.mean())
    rmssd = float(np.sqrt(np.mean(diff**2)))
    return TimeDomain(
        n_beats=int(rr.size),
        duration_s=float(rr.sum() / 1000),
        mean_rr=mean_rr,
        mean_hr=60000.0 / mean_rr,
        sdnn=float(rr.std(ddof=1)),
        rmssd=rmssd,
        ln_rmssd=math.log(rmssd) if rmssd > 0 else float("nan"),
        pnn50=float(100 * np.count_nonzero(np.abs(diff) > 50) / rr.size),
    )


@dataclass(frozen=True)
class FrequencyDomain:
    """Absolute LF and HF power (ms²) and their ratio; ``None`` when too short."""

    lf: float | None
    hf: float | None
    lf_hf: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _welch_psd(rr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (Hz) and power density (ms²/Hz) of the 4-Hz resampled tachogram."""
    # Imported here, not at the top: scipy.signal brings scipy.stats and scipy.optimize (about
    # 1.5 s), and this module is imported by every Django process through the models.
    from scipy import interpolate, signal

    times = np.cumsum(rr) / 1000  # each RR interval at the time of the beat that ends it
    step = 1 / RESAMPLE_HZ
    grid = np.arange(times[0], times[-1] + step, step)
    series = interpolate.make_interp_spline(times, rr, k=2)(grid)
    series[grid > times[-1]] = rr[-1]  # the grid may pass the last beat by < 1 step
    series = series - series.mean()
    n = series.size
    # Half the series per window, written as NeuroKit2's signal_psd derives it (from a lowest
    # frequency of 4·fs/n): in floating point this is sometimes one sample less than n // 2,
    # and keeping the same arithmetic keeps the numbers identical to those stored before.
    min_frequency = (2 * RESAMPLE_HZ) / (n / 2)
    nperseg = min(int((2 / min_frequency) * RESAMPLE_HZ), int(n / 2))
    freqs, density = signal.welch(
        series,
        fs=RESAMPLE_HZ,
        window="hann",
        nperseg=nperseg,
        nfft=2 * nperseg,
        detrend=False,
        scaling="density",
        average="mean",
    )
    keep = (freqs >= min_frequency) & (freqs <= HF_BAND[1])
    return freqs[keep], density[keep]


def _band_power(freqs: np.ndarray, density: np.ndarray, band: tuple[float, float]) -> float | None:
    """Trapezoidal integral over ``band`` (lower edge in, upper out); None when no bin falls
    in it."""
    inside = (freqs >= band[0]) & (freqs < band[1])
    if np.count_nonzero(inside) < 2:
        return None
    return float(np.trapezoid(density[inside], freqs[inside]))


def frequency_domain(rr_ms: Sequence[float] | np.ndarray) -> FrequencyDomain:
    """LF and HF power (ms²) and LF/HF by Welch's method, per the Task Force bands.

    The steps are in the module docstring. Recordings shorter than 1 min give no metric, shorter
    than 2 min no LF (Task Force 1996).

    Examples
    --------
    >>> t = np.arange(0, 300, 0.8)
    >>> f = frequency_domain(800 + 20 * np.sin(2 * np.pi * 0.25 * t))  # 0.25 Hz: HF
    >>> round(f.hf, -1), f.lf < 0.01  # a sinusoid of amplitude 20 ms has power 20²/2 ms²
    (200.0, True)
    """
    rr = np.asarray(rr_ms, dtype=float)
    duration = float(rr.sum() / 1000)
    if duration < MIN_DURATION_HF_S or rr.size < MIN_BEATS:
        return FrequencyDomain(None, None, None)
    freqs, density = _welch_psd(rr)
    hf = _band_power(freqs, density, HF_BAND)
    lf = _band_power(freqs, density, LF_BAND) if duration >= MIN_DURATION_LF_S else None
    lf_hf = lf / hf if lf is not None and hf else None
    return FrequencyDomain(lf=lf, hf=hf, lf_hf=lf_hf)


@dataclass(frozen=True)
class HrvMetrics:
    """All metrics of one recording, after artifact correction."""

    time: TimeDomain
    frequency: FrequencyDomain
    artifacts: ArtifactCorrection

    @property
    def rmssd(self) -> float:
        return self.time.rmssd

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.time.to_dict(),
            **self.frequency.to_dict(),
            "n_corrected": self.artifacts.n_corrected,
            "n_out_of_range": self.artifacts.n_out_of_range,
            "n_ectopic": self.artifacts.n_ectopic,
            "artifact_method": self.artifacts.method,
        }


def hrv_metrics(
    rr_ms: Sequence[float] | np.ndarray,
    artifacts: ArtifactMethod = "threshold",
    max_corrected_fraction: float = MAX_CORRECTED_FRACTION,
) -> HrvMetrics:
    """Correct artifacts, then compute time- and frequency-domain HRV.

    Parameters
    ----------
    rr_ms : array-like of float
        Raw RR intervals in milliseconds, in order.
    artifacts : {"threshold", "kubios"}
        Artifact method (module docstring).
    max_corrected_fraction : float
        Refuse the recording when more beats than this fraction needed correcting.

    Returns
    -------
    HrvMetrics
        ``.to_dict()`` has n_beats, mean_rr, mean_hr, sdnn, rmssd, ln_rmssd, pnn50, lf, hf,
        lf_hf, n_corrected and the artifact breakdown.
    """
    rr = np.asarray(rr_ms, dtype=float)
    if rr.size < MIN_BEATS:
        raise PhysiologyError(
            f"{rr.size} beats is too few; HRV needs at least {MIN_BEATS}", reason="too_few_beats"
        )
    corrected = correct_artifacts(rr, artifacts, max_corrected_fraction)
    return HrvMetrics(
        time=time_domain(corrected.rr_ms),
        frequency=frequency_domain(corrected.rr_ms),
        artifacts=corrected,
    )


@dataclass(frozen=True)
class HrvComparison:
    """After-minus-before differences between two recordings (e.g. around a visit).

    ln RMSSD is the usual scale for comparing RMSSD within a person, because RMSSD is
    right-skewed (Plews DJ et al. 2012, Eur J Appl Physiol 112:3729-3741); its difference is
    a ratio, reported also as percent change, 100·(exp(Δln) - 1).
    """

    rmssd_before: float
    rmssd_after: float
    delta_rmssd: float
    delta_ln_rmssd: float
    pct_change_rmssd: float
    delta_mean_hr: float
    delta_hf: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_recordings(before: HrvMetrics, after: HrvMetrics) -> HrvComparison:
    """Compare a before-visit and an after-visit recording (after - before)."""
    delta_ln = after.time.ln_rmssd - before.time.ln_rmssd
    hf_b, hf_a = before.frequency.hf, after.frequency.hf
    return HrvComparison(
        rmssd_before=before.rmssd,
        rmssd_after=after.rmssd,
        delta_rmssd=after.rmssd - before.rmssd,
        delta_ln_rmssd=delta_ln,
        pct_change_rmssd=100 * math.expm1(delta_ln),
        delta_mean_hr=after.time.mean_hr - before.time.mean_hr,
        delta_hf=None if hf_a is None or hf_b is None else hf_a - hf_b,
    )
