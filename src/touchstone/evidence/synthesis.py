"""Run a meta-analysis of chosen studies (and the clinic's own estimate) with the science core.

The numbers are ``science.meta.models.rma`` (metafor's ``rma.uni``), the plots
``science.meta.plots`` (SVG without inline script or style, so they pass the CSP inline).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from touchstone.accounts.models import Clinic
from touchstone.evidence.models import Study
from touchstone.outcomes.analytics import OutcomeFilters, clinic_outcomes
from touchstone.science.meta.models import MetaResult, rma
from touchstone.science.meta.plots import forest_svg, funnel_svg

PRACTICE_LABEL = "Practice-based study (this clinic)"
XLABELS = {
    "SMD": "Standardized mean difference (positive favours massage)",
    "MD": "Mean difference",
    "RR": "Risk ratio",
    "OR": "Odds ratio",
}


@dataclass(frozen=True)
class SynthesisRun:
    rows: list[dict[str, Any]]
    result: MetaResult
    measure: str
    forest: str
    funnel: str


def clinic_row(clinic: Clinic, instrument_id: str) -> dict[str, Any] | None:
    """The clinic's pre-post Hedges' g (metafor SMCR) for one instrument, as a study row.

    None below 11 episodes: every staff role (researchers included) reads syntheses, so the
    estimate follows the de-identified outcomes' small-cell rule.
    """
    report = clinic_outcomes(
        clinic, OutcomeFilters(instrument_ids=(instrument_id,)), deidentified=True
    )
    effect = report.instrument(instrument_id).effect
    if effect is None:
        return None
    return {
        "key": f"clinic-{instrument_id}",
        "label": f"{PRACTICE_LABEL}, {instrument_id.upper()} pre-post",
        "yi": effect.g,
        "vi": effect.variance,
        "kind": "practice",
        "n": effect.n,
    }


def study_rows(studies: list[Study]) -> list[dict[str, Any]]:
    return [
        {"key": s.key, "label": s.label, "yi": s.yi, "vi": s.vi, "kind": "published", "n": s.n}
        for s in studies
    ]


def run(rows: list[dict[str, Any]], measure: str, method: str, test: str) -> SynthesisRun:
    """Pool the rows; raises ``ValueError`` on input the engine refuses."""
    yi = [float(r["yi"]) for r in rows]
    vi = [float(r["vi"]) for r in rows]
    result = rma(yi, vi, method=method, test=test)
    transf = "exp" if measure in ("RR", "OR") else None
    labels = [str(r["label"]) for r in rows]
    forest = forest_svg(
        yi, vi, labels, result, transf=transf, xlabel=XLABELS[measure], uid="forest"
    )
    funnel = funnel_svg(yi, vi, result, xlabel=XLABELS[measure], uid="funnel")
    return SynthesisRun(rows=rows, result=result, measure=measure, forest=forest, funnel=funnel)
