"""The evidence library (every staff role reads it; owners add studies) and syntheses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe

from touchstone.accounts.access import MemberRequest, get_for, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.evidence import actions, synthesis
from touchstone.evidence.forms import StudyForm, SynthesisForm
from touchstone.evidence.models import Domain, Study, Synthesis
from touchstone.lib import csv_cells

#: The fields a critique or an UNVERIFIED mark may refer to, with their labels.
FIELD_LABELS = {
    "doi": "DOI",
    "year": "Year",
    "n": "Participants",
    "journal": "Journal",
    "authors": "Authors",
    "volume": "Volume",
    "volume_pages": "Volume and pages",
    "per_study_effects": "Per-study effects",
    "per_outcome_effects": "Per-outcome effects",
    "per_arm_n": "Per-arm sizes",
    "instrument_version": "Instrument version",
    "pooled_effect": "Pooled effect",
    "number_of_studies": "Number of studies",
    "massage_subgroup": "Massage subgroup",
    "primary_report": "Primary report",
    "cost_amounts": "Cost amounts",
}


def _library(request: MemberRequest) -> Any:
    actions.do_seed_library(request.actor, request.member.clinic)  # no-op once seeded
    return Study.objects.for_member(request.member)


@requires("evidence.view")
def study_list(request: MemberRequest) -> HttpResponse:
    studies = _library(request)
    domain = request.GET.get("domain", "")
    if domain in Domain.values:
        studies = studies.filter(domain=domain)
    return render(
        request,
        "evidence/list.html",
        {"studies": list(studies), "domains": Domain.choices, "domain": domain},
    )


def _critiques(study: Study, by_key: dict[str, Study]) -> list[dict[str, Any]]:
    out = []
    for c in study.critiques or []:
        source = by_key.get(c.get("by", ""))
        out.append(
            {
                "text": c.get("text", ""),
                "by": source.label if source else {"authors": "The authors", "evidence_note":
                      "Evidence note"}.get(c.get("by", ""), c.get("by", "")),
                "study": source,
            }
        )  # fmt: skip
    return out


@requires("evidence.view")
def study_detail(request: MemberRequest, study_id: int) -> HttpResponse:
    study: Study = get_for(request.member, Study.objects, pk=study_id)
    by_key = {s.key: s for s in Study.objects.for_member(request.member)}
    critiqued_by = [
        {"study": s, "text": c.get("text", "")}
        for s in by_key.values()
        for c in (s.critiques or [])
        if c.get("by") == study.key
    ]
    unverified = [FIELD_LABELS.get(f, f.replace("_", " ")) for f in study.unverified or []]
    return render(
        request,
        "evidence/detail.html",
        {
            "study": study,
            "critiques": _critiques(study, by_key),
            "critiqued_by": critiqued_by,
            "unverified": unverified,
        },
    )


@requires("evidence.edit")
def study_new(request: MemberRequest) -> HttpResponse:
    form = StudyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            study = actions.do_create_study(request.actor, form.study_data())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Study added to the library.")
            return redirect("evidence:study", study_id=study.pk)
    return render(request, "evidence/study_form.html", {"form": form})


def _plots(run: synthesis.SynthesisRun) -> dict[str, Any]:
    # The SVG is built by science.meta.plots from numbers and escaped labels only, with no
    # script or inline style, so it is safe to place inline under the CSP.
    return {"forest": mark_safe(run.forest), "funnel": mark_safe(run.funnel)}  # noqa: S308


@requires("evidence.view")
def synthesis_page(request: MemberRequest) -> HttpResponse:
    studies = list(_library(request))
    domain = request.GET.get("domain", "")
    shown = [s for s in studies if not domain or s.domain == domain]
    form = SynthesisForm(
        request.POST or None, studies=shown if request.method == "GET" else studies
    )
    context: dict[str, Any] = {"form": form, "domains": Domain.choices, "domain": domain}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rows = synthesis.study_rows(data["chosen"])
        if data["clinic"]:
            own = synthesis.clinic_row(request.member.clinic, data["clinic"])
            if own is None:
                form.add_error("clinic", "This clinic has too few pre-post scores for an estimate.")
            else:
                rows.append(own)  # shown beside the pooled estimate, never pooled
        if not form.errors:
            try:
                run = synthesis.run(rows, data["measure"], data["method"], data["test"])
            except ValueError as error:  # synthesis.Refused included: nothing is stored
                form.add_error(None, str(error))
            else:
                options = {k: data[k] for k in ("measure", "method", "test", "clinic")}
                if "save" in request.POST:
                    saved = actions.do_save_synthesis(
                        request.actor,
                        title=data["title"] or "Untitled synthesis",
                        study_keys=[s.key for s in data["chosen"]],
                        options=options,
                        result=run.result.to_dict(),
                        rows=rows,
                    )
                    messages.success(request, "Synthesis saved.")
                    return redirect("evidence:synthesis", synthesis_id=saved.pk)
                context.update({"run": run, **_plots(run)})
    context["saved"] = Synthesis.objects.for_member(request.member)[:20]
    return render(request, "evidence/synthesis.html", context)


def _saved_run(
    request: MemberRequest, synthesis_id: int
) -> tuple[Synthesis, synthesis.SynthesisRun | str]:
    """The saved synthesis re-run, or the reason it cannot be pooled (a synthesis saved before
    the compatibility rules may mix domains, scales or designs: it is shown refused)."""
    saved: Synthesis = get_for(request.member, Synthesis.objects, pk=synthesis_id)
    o = saved.options
    try:
        return saved, synthesis.run(saved.rows, o["measure"], o["method"], o["test"])
    except ValueError as error:
        return saved, str(error)


def _refused(saved: Synthesis, reason: str) -> HttpResponse:
    return HttpResponse(
        f"Synthesis {saved.pk} cannot be pooled: {reason}\n",
        status=409,
        content_type="text/plain; charset=utf-8",
    )


@requires("evidence.view")
def synthesis_detail(request: MemberRequest, synthesis_id: int) -> HttpResponse:
    saved, run = _saved_run(request, synthesis_id)
    if isinstance(run, str):
        return render(request, "evidence/synthesis_detail.html", {"saved": saved, "refused": run})
    return render(
        request,
        "evidence/synthesis_detail.html",
        {"saved": saved, "run": run, **_plots(run)},
    )


@requires("evidence.view")
def synthesis_csv(request: MemberRequest, synthesis_id: int) -> HttpResponse:
    saved, run = _saved_run(request, synthesis_id)
    if isinstance(run, str):
        return _refused(saved, run)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="synthesis-{saved.pk}.csv"'
    writer = csv_cells.writer(response)
    writer.writerow(["row", "label", "kind", "pooled", "domain", "scale", "design", "yi", "vi",
                     "n"])  # fmt: skip
    for i, r in enumerate([*run.rows, *run.practice], start=1):
        writer.writerow([
            i, r["label"], r["kind"], "no" if r["kind"] == "practice" else "yes",
            r.get("domain", ""), r.get("scale", ""), r.get("design", ""), r["yi"], r["vi"],
            r.get("n") or "",
        ])  # fmt: skip
    writer.writerow([])
    writer.writerow(["statistic", "value"])
    result = run.result
    censored = {"tau2_ci_lb": result.tau2_ci_lb_censored, "tau2_ci_ub": result.tau2_ci_ub_censored}
    for key, value in result.to_dict().items():
        if censored.get(key):
            # beyond the Q-profile search limit: not a number, shown as metafor prints it
            writer.writerow([key, f"> {result.tau2_ci_limit:g}"])
        else:
            writer.writerow([key, "" if value is None else value])
    record(request.actor, Action.EXPORT, saved, detail="synthesis csv")
    return response


def _svg(request: MemberRequest, synthesis_id: int, which: str) -> HttpResponse:
    saved, run = _saved_run(request, synthesis_id)
    if isinstance(run, str):
        return _refused(saved, run)
    response = HttpResponse(getattr(run, which), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="synthesis-{saved.pk}-{which}.svg"'
    record(request.actor, Action.EXPORT, saved, detail=f"synthesis {which} svg")
    return response


@requires("evidence.view")
def synthesis_forest(request: MemberRequest, synthesis_id: int) -> HttpResponse:
    return _svg(request, synthesis_id, "forest")


@requires("evidence.view")
def synthesis_funnel(request: MemberRequest, synthesis_id: int) -> HttpResponse:
    return _svg(request, synthesis_id, "funnel")
