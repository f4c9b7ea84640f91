"""The study's analysis report: ITT results, CONSORT flow and checklist items, with the
registered protocol (and every amendment, with hashes) attached. Used by the analysis page,
its JSON export and the demo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from touchstone.instruments.catalogue import short_name
from touchstone.science.trials import ConsortFlow, TrialAnalysis, analyse
from touchstone.trials.models import ConsentText, ControlledStudy, ProtocolVersion
from touchstone.trials.selectors import Row, arrays, dataset, flow


@dataclass(frozen=True)
class StudyReport:
    study: ControlledStudy
    protocol: ProtocolVersion
    versions: list[ProtocolVersion]
    rows: list[Row]
    flow: ConsortFlow
    result: TrialAnalysis | None
    problem: str  # why no result could be computed ("" when there is one)
    checklist: list[tuple[str, str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": {
                "id": self.study.pk,
                "title": self.study.title,
                "design": self.study.design,
                "status": self.study.status,
                "registered_at": self.study.registered_at.isoformat()
                if self.study.registered_at
                else None,
            },
            "generated_at": timezone.now().isoformat(),
            "registered_protocol": {
                "version": 1,
                "sha256": self.versions[0].sha256,
                "content": self.versions[0].content,
            },
            "amendments": [
                {
                    "version": v.number,
                    "sha256": v.sha256,
                    "reason": v.reason,
                    "created_at": v.created_at.isoformat(),
                    "content": v.content,
                }
                for v in self.versions[1:]
            ],
            "consort": self.flow.to_dict(),
            "analysis": self.result.to_dict() if self.result else None,
            "analysis_problem": self.problem,
            "checklist": [{"item": i, "topic": t, "reported": r} for i, t, r in self.checklist],
        }


def analysis_rows(rows: list[Row]) -> list[Row]:
    """The clients whose follow-up is in, or whose window has closed (pending ones wait)."""
    now = timezone.now()
    return [r for r in rows if r.follow_up is not None or r.window[1] <= now]


def _checklist(
    study: ControlledStudy,
    versions: list[ProtocolVersion],
    f: ConsortFlow,
    result: TrialAnalysis | None,
) -> list[tuple[str, str, str]]:
    """CONSORT 2010 checklist items (Schulz et al. 2010, BMJ 340:c332) from the data."""
    p = versions[-1].content
    r, s, o = p["randomisation"], p["sample_size"], p["primary_outcome"]
    consents = ConsentText.objects.filter(study=study).count()
    arms = " vs ".join(a["label"] for a in p["arms"])
    items = [
        (
            "3a",
            "Trial design",
            f"{study.get_design_display()}; allocation ratio {':'.join(map(str, r['ratio']))}",
        ),
        (
            "3b",
            "Changes to methods after commencement",
            "; ".join(f"v{v.number} ({v.sha256[:12]}…): {v.reason}" for v in versions[1:])
            or "none",
        ),
        ("4a", "Eligibility criteria", p["eligibility"]),
        ("5", "Interventions", arms),
        (
            "6a",
            "Primary outcome",
            f"{short_name(o['instrument_id'])} at {o['weeks']} weeks "
            f"(± {o['window_days']} days), baseline within {o['baseline_days']} days before "
            "enrolment",
        ),
        (
            "7a",
            "Sample size",
            f"{s['n_per_arm'][0]} + {s['n_per_arm'][1]} clients "
            f"({s['n_total_with_dropout']} with {s['dropout']:.0%} loss) "
            f"to detect {s['difference']:g} "
            f"points (SD {s['sd']:g}) with power {s['power']:g} at two-sided alpha {s['alpha']:g}, "
            f"ANCOVA with baseline correlation {s['correlation']:g}",
        ),
        ("8a", "Sequence generation", r["method"]),
        (
            "8b",
            "Type of randomisation",
            "Permuted blocks of sizes "
            + ", ".join(str(m * sum(r["ratio"])) for m in r["block_multipliers"])
            + (
                f", stratified by baseline ≥ {r['stratify_baseline_at']}"
                if r["stratify_baseline_at"] is not None
                else ", not stratified"
            ),
        ),
        (
            "9",
            "Allocation concealment",
            "Computed at enrolment from a sealed seed (SHA-256 "
            f"{(r['seed_sha256'] or '')[:16]}… registered); no page shows upcoming allocations",
        ),
        ("10", "Implementation", "Licensed clinicians assess and enrol; Touchstone allocates"),
        ("11a", "Blinding", "Open (clients and therapists know the arm); outcome self-reported"),
        ("12a", "Statistical methods", "; ".join(m["label"] for m in p["analysis"]["methods"])),
        (
            "13a",
            "Participant flow",
            f"{f.assessed} assessed, {f.randomised} randomised, "
            + ", ".join(f"{a.analysed} analysed in {a.label}" for a in f.arms),
        ),
        (
            "14a",
            "Dates of recruitment",
            f"registered {study.registered_at:%Y-%m-%d}"
            if study.registered_at
            else "not registered",
        ),
        (
            "17a",
            "Outcomes and estimation",
            (
                f"{result.primary.estimate:.2f} (95% CI {result.primary.ci_low:.2f} to "
                f"{result.primary.ci_high:.2f})"
                if result
                else "not estimable yet"
            ),
        ),
        ("23", "Registration", f"protocol v1 SHA-256 {versions[0].sha256}"),
        (
            "24",
            "Protocol",
            f"attached to the export ({len(versions)} version(s)); consent text "
            f"in {consents} version(s)",
        ),
    ]
    return items


def study_report(study: ControlledStudy) -> StudyReport:
    versions = list(ProtocolVersion.objects.filter(study=study).order_by("number"))
    protocol = versions[-1]
    rows = dataset(study, protocol.content)
    f = flow(study, protocol.content, rows)
    due = analysis_rows(rows)
    result, problem = None, ""
    try:
        result = analyse(*arrays(due))
    except ValueError as exc:
        problem = str(exc)
    return StudyReport(
        study=study,
        protocol=protocol,
        versions=versions,
        rows=rows,
        flow=f,
        result=result,
        problem=problem,
        checklist=_checklist(study, versions, f, result),
    )
