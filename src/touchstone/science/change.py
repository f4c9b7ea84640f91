"""Clinical change between two scores: reliable change, clinical significance, response.

Formulas follow Jacobson NS, Truax P. *Clinically significant change: a statistical approach
to defining meaningful change in psychotherapy research.* J Consult Clin Psychol
1991;59(1):12-19, doi:10.1037/0022-006X.59.1.12 (reference key [ScholarGate-JT]; formulas as
restated in [suddengains] and [psyctc], cut-off c verbatim in [clinsig-test]; see
``shared/reference/instruments.md`` section 3). Per-instrument parameters (reliability,
norms, published thresholds, response and remission definitions) live in each instrument's
definition file with their sources.

The formula functions take scalars or numpy arrays. They are hand-written because each is
one line of arithmetic, and the R package ``clinicalsignificance`` has no Python counterpart.

Examples
--------
>>> from touchstone.science.instruments import load_instrument
>>> r = change(load_instrument("phq9"), pre=18, post=6)
>>> (round(r.rci, 2), r.reliable_change, r.classification, r.response, r.remission)
(-4.99, 'improved', 'recovered', True, False)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from touchstone.science.instruments.model import Direction, Instrument
    from touchstone.science.instruments.scoring import ScoreResult

#: Two-sided 5 % criterion for the RCI (J&T 1991: |RC| > 1.96 is reliable change).
Z_CRITICAL = 1.96

#: The sets of criteria a clinic may choose (``Clinic.change_criteria``):
#: ``jacobson-truax`` — reliable change index and clinical-significance cut-off (default);
#: ``nhs-talking-therapies`` — the NHS Talking Therapies reliable-change points and caseness
#: thresholds (PHQ-9: change >= 6, caseness >= 10; GAD-7: change >= 4, caseness >= 8), for
#: instruments that have them; other instruments keep Jacobson & Truax.
CRITERIA = ("jacobson-truax", "nhs-talking-therapies")
Criteria = Literal["jacobson-truax", "nhs-talking-therapies"]

FloatLike = float | npt.NDArray[np.float64]
ReliableChange = Literal["improved", "deteriorated", "none"]
Classification = Literal["recovered", "improved", "unchanged", "deteriorated"]


def standard_error_of_measurement(sd: float, reliability: float) -> float:
    """SE of measurement, ``SD * sqrt(1 - r_xx)`` (Jacobson & Truax 1991).

    ``r_xx`` should be test-retest reliability [suddengains].

    Examples
    --------
    >>> round(standard_error_of_measurement(4.25, 0.84), 3)
    1.7
    """
    return sd * math.sqrt(1.0 - reliability)


def standard_error_of_difference(sd: float, reliability: float) -> float:
    """SE of a difference score, ``sqrt(2 * SE_m**2)``.

    The sqrt(2) term is Christensen & Mendoza's (1986) correction adopted by Jacobson &
    Truax (1991) [psyctc].

    Examples
    --------
    >>> round(standard_error_of_difference(4.25, 0.84), 2)  # instruments.md 3: PHQ-9 2.40
    2.4
    """
    return math.sqrt(2.0 * standard_error_of_measurement(sd, reliability) ** 2)


def reliable_change_index(
    pre: FloatLike, post: FloatLike, sd: float, reliability: float
) -> FloatLike:
    """Jacobson-Truax RC = (post - pre) / S_diff; |RC| > 1.96 is reliable (p < .05).

    Source: Jacobson & Truax 1991 [ScholarGate-JT], [suddengains]. Works on arrays.
    """
    return (post - pre) / standard_error_of_difference(sd, reliability)


def cutoff_a(mean_dys: float, sd_dys: float, direction: Direction) -> float:
    """Cut-off a: two SDs beyond the dysfunctional mean, towards functioning (J&T 1991)."""
    return mean_dys - 2 * sd_dys if direction == "lower_is_better" else mean_dys + 2 * sd_dys


def cutoff_b(mean_func: float, sd_func: float, direction: Direction) -> float:
    """Cut-off b: within two SDs of the functional mean (J&T 1991; functional SD as J&T).

    [clinsig-vignette] writes b with the clinical SD; J&T use the functional SD, as here.
    """
    return mean_func + 2 * sd_func if direction == "lower_is_better" else mean_func - 2 * sd_func


def cutoff_c(mean_func: float, sd_func: float, mean_dys: float, sd_dys: float) -> float:
    """Cut-off c: the point closer to the functional than the dysfunctional mean, in SDs.

    ``c = (SD_func * M_dys + SD_dys * M_func) / (SD_func + SD_dys)`` (J&T 1991; verbatim in
    [clinsig-test]). The same formula serves both directions.

    Examples
    --------
    >>> round(cutoff_c(2.9, 3.5, 16.65, 4.25), 1)  # instruments.md 3: PHQ-9 c = 9.1
    9.1
    """
    return (sd_func * mean_dys + sd_dys * mean_func) / (sd_func + sd_dys)


def is_dysfunctional(score: float, cutoff: float, direction: Direction) -> bool:
    """Whether ``score`` lies on the dysfunctional side of ``cutoff``.

    Lower-is-better: ``score >= cutoff``; higher-is-better: ``score < cutoff`` (so a
    published cut-off such as WHO-5 raw 13 is the first *functional* score [valant]).
    """
    return score >= cutoff if direction == "lower_is_better" else score < cutoff


@dataclass(frozen=True)
class ChangeResult:
    """Change between two totals of one instrument. ``to_dict()`` is JSON-serialisable.

    ``reliable_change`` and ``classification`` are ``None`` when the instrument has no
    reliability data (and none was supplied): Touchstone does not claim "no change" then.
    """

    instrument: str
    pre: float | None
    post: float | None
    difference: float | None
    direction: str
    rci: float | None
    s_diff: float | None
    min_reliable_change: float | None
    reliable_change_method: str | None
    reliable_change: ReliableChange | None
    cutoff: str | None
    cutoff_value: float | None
    clinically_significant: bool | None
    classification: Classification | None
    response: bool | None
    remission: bool | None
    mcid: float | None
    meets_mcid: bool | None
    reasons: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    #: The criteria the reliable change and the cut-off come from (see :data:`CRITERIA`).
    criteria: str = "jacobson-truax"

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-serialisable dictionary."""
        out = asdict(self)
        out["reasons"] = list(self.reasons)
        return out


def _total(value: float | ScoreResult | None) -> float | None:
    if value is None or isinstance(value, int | float):
        return None if value is None else float(value)
    return None if value.total is None else float(value.total)


def change(
    instrument: Instrument,
    pre: float | ScoreResult | None,
    post: float | ScoreResult | None,
    *,
    reliability: float | None = None,
    sd: float | None = None,
    criteria: str = "jacobson-truax",
) -> ChangeResult:
    """Reliable change, clinical significance, response and remission for one client.

    Parameters
    ----------
    instrument : Instrument
        Supplies direction and parameters (``instrument.change``).
    pre, post : number or ScoreResult
        Totals; a non-computable ScoreResult (or ``None``) gives a result of ``None`` s.
    reliability, sd : float, optional
        Override (or supply, for instruments without them) the test-retest reliability and
        the SD used in the RCI.
    criteria : {"jacobson-truax", "nhs-talking-therapies"}
        Which definitions of reliable change and of the cut-off apply (:data:`CRITERIA`).
        With ``nhs-talking-therapies`` an instrument with NHS Talking Therapies thresholds
        (PHQ-9, GAD-7) is reliably changed by at least that many raw points and "recovered"
        means it moved from caseness to below it; any other instrument keeps Jacobson &
        Truax (said in ``reasons``).

    Returns
    -------
    ChangeResult
        Reliable change: JT RCI if reliability and SD are known, else a published
        raw-point threshold (e.g. EPDS 4 points [Matthey-2004]), else ``None``.
        Classification (J&T 1991 [Blampied-2022]): *recovered* = reliable improvement and
        moved from the dysfunctional to the functional side of the cut-off; *improved* =
        reliable improvement otherwise; *deteriorated* = reliable worsening; else
        *unchanged*.
    """
    p = instrument.change
    direction = p.direction
    nhs = uses_nhs_talking_therapies(instrument, check_criteria(criteria))
    sources: dict[str, str] = {"formulas": "Jacobson & Truax 1991 [ScholarGate-JT]"}
    reasons: list[str] = []
    if criteria == "nhs-talking-therapies" and not nhs:
        reasons.append(
            "no NHS Talking Therapies thresholds for this instrument: Jacobson & Truax used"
        )
    x0, x1 = _total(pre), _total(post)
    if x0 is None or x1 is None:
        return ChangeResult(
            instrument.id, x0, x1, None, direction, None, None, None, None, None, None, None,
            None, None, None, None, p.mcid, None,
            ("pre or post total is not computable",), sources, criteria,
        )  # fmt: skip
    diff = x1 - x0
    gain = -diff if direction == "lower_is_better" else diff  # > 0 means better
    r = reliability if reliability is not None else p.reliability
    s = sd if sd is not None else p.rci_sd
    rci = s_diff = min_rc = None
    method: str | None = None
    reliable: ReliableChange | None = None
    if nhs:
        assert p.nhs_tt_points is not None
        min_rc = p.nhs_tt_points
        method = "nhs-talking-therapies"
        reliable = _direction_label(gain) if abs(diff) >= min_rc else "none"
        sources["reliable_change"] = str(p.nhs_tt_source)
    elif r is not None and s is not None:
        s_diff = standard_error_of_difference(s, r)
        rci = diff / s_diff
        min_rc = Z_CRITICAL * s_diff
        method = "jacobson-truax"
        reliable = _direction_label(gain) if abs(rci) > Z_CRITICAL else "none"
        sources["reliability"] = "caller" if reliability is not None else str(p.reliability_source)
        sources["sd"] = "caller" if sd is not None else str(p.rci_sd_source)
    elif p.published_rci_points is not None:
        min_rc = p.published_rci_points
        method = "published-threshold"
        reliable = _direction_label(gain) if abs(diff) >= min_rc else "none"
        sources["reliable_change"] = str(p.published_rci_source)
        reasons.append("RCI not computed: no reliability/SD; a published threshold is used")
    else:
        reasons.append("no reliability data for this instrument: reliable change unknown")
    cut, cut_name = _cutoff(instrument, criteria)
    significant = None
    if cut is not None:
        significant = is_dysfunctional(x0, cut, direction) and not is_dysfunctional(
            x1, cut, direction
        )
    classification: Classification | None = None
    if reliable == "deteriorated":
        classification = "deteriorated"
    elif reliable == "improved":
        classification = "recovered" if significant else "improved"
    elif reliable == "none":
        classification = "unchanged"
    response = _response(instrument, x0, x1, reasons)
    remission = _remission(instrument, x0, x1, reasons)
    for key, src in (
        ("response", p.response_source),
        ("remission", p.remission_source),
        ("mcid", p.mcid_source),
        ("cutoff", p.published_cutoff_source if cut_name == "published" else None),
        ("cutoff", p.nhs_tt_source if cut_name == "caseness" else None),
    ):
        if src:
            sources[key] = src
    return ChangeResult(
        instrument=instrument.id,
        pre=x0,
        post=x1,
        difference=diff,
        direction=direction,
        rci=rci,
        s_diff=s_diff,
        min_reliable_change=min_rc,
        reliable_change_method=method,
        reliable_change=reliable,
        cutoff=cut_name,
        cutoff_value=cut,
        clinically_significant=significant,
        classification=classification,
        response=response,
        remission=remission,
        mcid=p.mcid,
        meets_mcid=None if p.mcid is None else gain >= p.mcid,
        reasons=tuple(reasons),
        sources=sources,
        criteria=criteria,
    )


def check_criteria(criteria: str) -> str:
    """``criteria`` if it is one of :data:`CRITERIA`; ``ValueError`` otherwise."""
    if criteria not in CRITERIA:
        raise ValueError(f"unknown change criteria {criteria!r}; use one of {', '.join(CRITERIA)}")
    return criteria


def uses_nhs_talking_therapies(instrument: Instrument, criteria: str) -> bool:
    """Whether the NHS Talking Therapies thresholds apply to this instrument."""
    p = instrument.change
    return (
        criteria == "nhs-talking-therapies"
        and p.nhs_tt_points is not None
        and p.nhs_tt_caseness is not None
    )


def _direction_label(gain: float) -> ReliableChange:
    return "improved" if gain > 0 else "deteriorated"


def _cutoff(
    instrument: Instrument, criteria: str = "jacobson-truax"
) -> tuple[float | None, str | None]:
    p = instrument.change
    if uses_nhs_talking_therapies(instrument, criteria):
        # Caseness is the first score of a case, so "dysfunctional" is score >= caseness.
        return float(p.nhs_tt_caseness), "caseness"  # type: ignore[arg-type]
    f, d = p.functional, p.dysfunctional
    if p.cutoff == "c" and f is not None and d is not None and f.mean is not None:
        assert d.mean is not None
        return cutoff_c(f.mean, f.sd, d.mean, d.sd), "c"
    if p.cutoff == "b" and f is not None and f.mean is not None:
        return cutoff_b(f.mean, f.sd, p.direction), "b"
    if p.cutoff == "a" and d is not None and d.mean is not None:
        return cutoff_a(d.mean, d.sd, p.direction), "a"
    if p.cutoff == "published" and p.published_cutoff is not None:
        return float(p.published_cutoff), "published"
    return None, None


def _response(instrument: Instrument, pre: float, post: float, reasons: list[str]) -> bool | None:
    """Response: a reduction of at least ``percent``% from a baseline >= ``baseline_min``.

    PHQ-9: >= 50 % reduction with baseline >= 10 (NCQA/HEDIS-style, [PsySvc-2020]).
    """
    p = instrument.change
    if p.response_percent is None:
        reasons.append("no published response definition for this instrument")
        return None
    if p.response_baseline_min is not None and pre < p.response_baseline_min:
        reasons.append(f"response not applicable: baseline below {p.response_baseline_min:g}")
        return None
    if pre <= 0:
        return None
    return (pre - post) / pre * 100.0 >= p.response_percent


def _remission(instrument: Instrument, pre: float, post: float, reasons: list[str]) -> bool | None:
    """Remission: follow-up total below ``below`` (PHQ-9 < 5, [PsySvc-2020]; ISI < 8)."""
    p = instrument.change
    if p.remission_below is None:
        reasons.append("no published remission definition for this instrument")
        return None
    if p.remission_baseline_min is not None and pre < p.remission_baseline_min:
        reasons.append(f"remission not applicable: baseline below {p.remission_baseline_min:g}")
        return None
    return post < p.remission_below
