"""Run a meta-analysis of chosen studies with the science core, the clinic's own estimate
beside it.

What may be pooled is decided by ``science.meta.compat.check_poolable`` (one measure, one
outcome domain, one design, mean differences on one scale, independent studies); the clinic's
own pre-post change is an uncontrolled estimate and is shown beside the pooled controlled
estimate, never inside the model.

The numbers are ``science.meta.models.rma`` (metafor's ``rma.uni``), the plots
``science.meta.plots`` (SVG without inline script or style, so they pass the CSP inline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from touchstone.accounts.models import Clinic
from touchstone.evidence.models import Study
from touchstone.instruments.catalogue import short_name
from touchstone.outcomes.analytics import OutcomeFilters, clinic_outcomes
from touchstone.science.meta.compat import Compatibility, PoolableEffect, check_poolable
from touchstone.science.meta.models import MetaResult, rma
from touchstone.science.meta.plots import forest_svg, funnel_svg

PRACTICE_LABEL = "Practice-based study (this clinic)"
XLABELS = {
    "SMD": "Standardized mean difference (positive favours massage)",
    "MD": "Mean difference",
    "RR": "Risk ratio",
    "OR": "Odds ratio",
}


#: The clinic's pre-post estimate by instrument: its outcome domain and scale.
PRACTICE_INSTRUMENTS = {"phq9": ("depression", "PHQ-9"), "gad7": ("anxiety", "GAD-7")}
BESIDE_TITLE = "Not pooled: uncontrolled practice-based data"


class Refused(ValueError):
    """The chosen effects cannot be pooled; the message says why (``science.meta.compat``)."""


@dataclass(frozen=True)
class SynthesisRun:
    """A pooled model of the published ``rows``; ``practice`` rows (the clinic's own
    uncontrolled pre-post change) are shown beside it and are never part of the model."""

    rows: list[dict[str, Any]]
    result: MetaResult
    measure: str
    forest: str
    funnel: str
    practice: list[dict[str, Any]] = field(default_factory=list)


def clinic_row(clinic: Clinic, instrument_id: str) -> dict[str, Any] | None:
    """The clinic's pre-post Hedges' g (metafor SMCR) for one instrument, as a row to show
    beside the pooled estimate (never inside it: it is an uncontrolled pre-post change).

    None below 11 episodes: every staff role (researchers included) reads syntheses, so the
    estimate follows the de-identified outcomes' small-cell rule.
    """
    report = clinic_outcomes(
        clinic, OutcomeFilters(instrument_ids=(instrument_id,)), deidentified=True
    )
    effect = report.instrument(instrument_id).effect
    if effect is None:
        return None
    domain, scale = PRACTICE_INSTRUMENTS[instrument_id]
    return {
        "key": f"clinic-{instrument_id}",
        "label": f"{PRACTICE_LABEL}, {short_name(instrument_id)} pre-post",
        "yi": effect.g,
        "vi": effect.variance,
        "kind": "practice",
        "n": effect.n,
        "domain": domain,
        "scale": scale,
        "design": "pre_post",
        "measure": "SMD",
    }


def study_rows(studies: list[Study]) -> list[dict[str, Any]]:
    return [
        {
            "key": s.key,
            "label": s.label,
            "yi": s.yi,
            "vi": s.vi,
            "kind": "published",
            "n": s.n,
            "domain": s.effect_domain,
            "scale": s.scale,
            "design": s.effect_design,
            "measure": s.measure,
        }
        for s in studies
    ]


def _effect(row: dict[str, Any]) -> PoolableEffect:
    return PoolableEffect(
        label=str(row.get("label", "")),
        domain=str(row.get("domain") or ""),
        scale=str(row.get("scale") or ""),
        design=str(row.get("design") or ""),
        measure=str(row.get("measure") or ""),
        study=str(row.get("key") or ""),
    )


def compatibility(rows: list[dict[str, Any]]) -> Compatibility:
    """Whether the published rows may be pooled, and the clinic's rows shown beside them."""
    published = [r for r in rows if r.get("kind") != "practice"]
    verdict = check_poolable([_effect(r) for r in published])
    reasons = list(verdict.reasons)
    pooled_domains = {r.get("domain") for r in published}
    pooled_measures = {r.get("measure") for r in published}
    for r in rows:
        if r.get("kind") != "practice":
            continue
        if pooled_measures and pooled_measures != {"SMD"}:
            reasons.append(
                f"{r['label']} is a standardized mean change (SMD); it can only be shown "
                "beside a pooled SMD."
            )
        elif pooled_domains and pooled_domains != {r.get("domain")}:
            reasons.append(
                f"{r['label']} measures {r.get('domain')}; the pooled studies measure "
                f"{', '.join(sorted(str(d) for d in pooled_domains))}."
            )
    return Compatibility(tuple(reasons))


def run(rows: list[dict[str, Any]], measure: str, method: str, test: str) -> SynthesisRun:
    """Pool the published rows and show the practice rows beside them.

    Raises ``Refused`` (a ``ValueError``) when the rows cannot be combined, and
    ``ValueError`` on input the engine refuses.
    """
    verdict = compatibility(rows)
    if not verdict.ok:
        raise Refused(verdict.message)
    pooled = [r for r in rows if r.get("kind") != "practice"]
    practice = [r for r in rows if r.get("kind") == "practice"]
    yi = [float(r["yi"]) for r in pooled]
    vi = [float(r["vi"]) for r in pooled]
    result = rma(yi, vi, method=method, test=test)
    transf = "exp" if measure in ("RR", "OR") else None
    labels = [str(r["label"]) for r in pooled]
    beside = [(str(r["label"]), float(r["yi"]), float(r["vi"])) for r in practice]
    forest = forest_svg(
        yi,
        vi,
        labels,
        result,
        transf=transf,
        xlabel=XLABELS[measure],
        uid="forest",
        beside=beside,
        beside_title=BESIDE_TITLE,
    )
    funnel = funnel_svg(yi, vi, result, xlabel=XLABELS[measure], uid="funnel")
    return SynthesisRun(
        rows=pooled,
        result=result,
        measure=measure,
        forest=forest,
        funnel=funnel,
        practice=practice,
    )
