"""Pages of controlled studies: list, design and registration, consent texts, enrolment with
concealed allocation, the follow-up list and the ITT analysis with its exports."""

from __future__ import annotations

import csv
import io
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client
from touchstone.science.trials import consort_svg
from touchstone.trials import actions
from touchstone.trials.access import get_enrolment_for, get_study_for
from touchstone.trials.forms import ConsentTextForm, EnrolForm, ProtocolForm, ReceiptForm
from touchstone.trials.models import ConsentText, ControlledStudy, Status
from touchstone.trials.protocol import form_initial
from touchstone.trials.report import analysis_rows, study_report
from touchstone.trials.selectors import dataset, dataset_csv_rows, protocol_of


def _errors(form: object, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)  # type: ignore[attr-defined]


@requires("trials.view")
def study_list(request: MemberRequest) -> HttpResponse:
    studies = list(ControlledStudy.objects.for_member(request.member))
    record(request.actor, Action.LIST, object_type="trials.controlledstudy")
    return render(request, "trials/list.html", {"studies": studies})


@requires("trials.design")
def study_new(request: MemberRequest) -> HttpResponse:
    form = ProtocolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            study = actions.do_create_study(request.actor, form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect("trials:consent", study.pk)
    return render(request, "trials/protocol_form.html", {"form": form, "study": None})


@requires("trials.view")
def study_detail(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    study = get_study_for(request.member, controlled_study_id)
    record(request.actor, Action.READ, study)
    versions = list(study.versions.order_by("number"))
    protocol = versions[-1].content if versions else study.draft
    return render(
        request,
        "trials/detail.html",
        {
            "study": study,
            "protocol": protocol,
            "protocol_json": json.dumps(protocol, indent=2, ensure_ascii=False),
            "versions": versions,
            "consents": list(ConsentText.objects.filter(study=study)),
            "n_screened": study.screenings.count(),
            "n_enrolled": study.enrolments.count(),
        },
    )


@requires("trials.design")
def protocol_edit(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    study = get_study_for(request.member, controlled_study_id)
    latest = protocol_of(study)
    form = ProtocolForm(
        request.POST or None, initial=form_initial(latest.content if latest else study.draft)
    )
    if study.status == Status.CLOSED:
        form.add_error(None, "The study is closed.")
    elif request.method == "POST" and form.is_valid():
        try:
            actions.do_change_protocol(
                request.actor, study, form.cleaned_data, form.cleaned_data.get("reason", "")
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect("trials:detail", study.pk)
    return render(request, "trials/protocol_form.html", {"form": form, "study": study})


@requires("trials.design")
def register(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    study = get_study_for(request.member, controlled_study_id)
    if request.method == "POST":
        try:
            actions.do_register_study(request.actor, study)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Registered: the protocol is frozen and hashed.")
    return redirect("trials:detail", study.pk)


@requires("trials.design")
def close(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    study = get_study_for(request.member, controlled_study_id)
    if request.method == "POST":
        try:
            actions.do_close_study(request.actor, study)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("trials:detail", study.pk)


@requires("trials.design")
def consent_new(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    study = get_study_for(request.member, controlled_study_id)
    current = ConsentText.objects.filter(study=study).first()
    form = ConsentTextForm(request.POST or None, initial={"text": current.text if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_add_consent_text(request.actor, study, form.cleaned_data["text"])
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect("trials:detail", study.pk)
    return render(request, "trials/consent_form.html", {"form": form, "study": study})


@requires("trials.enrolments")
def enrolments(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    """Who is enrolled, in which arm (already allocated only), and when follow-up is due."""
    study = get_study_for(request.member, controlled_study_id)
    latest = protocol_of(study)
    rows = dataset(study, latest.content) if latest else []
    record(
        request.actor,
        Action.LIST,
        object_type="trials.enrolment",
        object_id=study.pk,
        clinic=study.clinic,
        detail=f"{len(rows)} enrolments",
    )
    arms = [a["label"] for a in latest.content["arms"]] if latest else []
    return render(
        request,
        "trials/enrolments.html",
        {"study": study, "rows": rows, "arms": arms, "protocol": latest},
    )


@requires("trials.enrol")
def enrol(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    """Assess and enrol one client. This page never shows an allocation: the arm is
    computed when the enrolment is saved and shown on the enrolment's own page."""
    study = get_study_for(request.member, controlled_study_id)
    clients = (
        Client.objects.for_member(request.member)
        .filter(archived_at__isnull=True)
        .exclude(pk__in=study.screenings.values("client_id"))
    )
    form = EnrolForm(request.POST or None, clients=clients)
    consent = ConsentText.objects.filter(study=study).first()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = actions.do_enrol_client(
                request.actor,
                study,
                data["client"],
                eligible=data["eligible"],
                consented=bool(data.get("consent")),
                consented_on=data.get("consented_on"),
                exclusion_reason=data.get("exclusion_reason") or "",
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if hasattr(outcome, "arm"):
                return redirect("trials:enrolment", outcome.pk)
            messages.info(request, "Recorded as assessed and not enrolled.")
            return redirect("trials:enrol", study.pk)
    record(
        request.actor,
        Action.LIST,
        object_type="clients.client",
        clinic=study.clinic,
        detail="enrolment form",
    )
    return render(
        request,
        "trials/enrol.html",
        {
            "study": study,
            "form": form,
            "consent": consent,
            "open": study.status == Status.REGISTERED,
        },
    )


@requires("trials.enrolments")
def enrolment_detail(request: MemberRequest, enrolment_id: int) -> HttpResponse:
    enrolment = get_enrolment_for(request.member, enrolment_id)
    record(request.actor, Action.READ, enrolment)
    latest = protocol_of(enrolment.study)
    arm = latest.content["arms"][enrolment.arm]["label"] if latest else str(enrolment.arm)
    form = ReceiptForm(
        initial={
            "received": enrolment.received,
            "not_received_reason": enrolment.not_received_reason,
        }
    )
    return render(
        request,
        "trials/enrolment.html",
        {"enrolment": enrolment, "arm": arm, "form": form, "protocol": latest},
    )


@requires("trials.enrol")
def receipt(request: MemberRequest, enrolment_id: int) -> HttpResponse:
    enrolment = get_enrolment_for(request.member, enrolment_id)
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_record_receipt(
                request.actor,
                enrolment,
                form.cleaned_data["received"],
                form.cleaned_data["not_received_reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        record(request.actor, Action.READ, enrolment)
    return redirect("trials:enrolment", enrolment.pk)


def _registered(request: MemberRequest, controlled_study_id: int) -> ControlledStudy:
    study = get_study_for(request.member, controlled_study_id)
    if study.status == Status.DRAFT:
        raise Http404("This study is not registered yet.")
    return study


@requires("trials.results")
def analysis(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    study = get_study_for(request.member, controlled_study_id)
    record(request.actor, Action.READ, study, detail="analysis")
    report = study_report(study) if study.status != Status.DRAFT else None
    return render(request, "trials/analysis.html", {"study": study, "report": report})


@requires("trials.results")
def consort(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    study = _registered(request, controlled_study_id)
    record(request.actor, Action.READ, study, detail="CONSORT diagram")
    svg = consort_svg(study_report(study).flow, title=f"CONSORT flow: {study.title}")
    return HttpResponse(svg, content_type="image/svg+xml")


@requires("trials.results")
def report_json(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    study = _registered(request, controlled_study_id)
    record(request.actor, Action.EXPORT, study, detail="analysis report (JSON)")
    body = json.dumps(study_report(study).to_dict(), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-report.json"'
    return response


@requires("trials.results")
def dataset_csv(request: MemberRequest, controlled_study_id: int) -> HttpResponse:
    """The de-identified analysis dataset (sequence numbers, arm, scores): what R reads."""
    study = _registered(request, controlled_study_id)
    record(request.actor, Action.EXPORT, study, detail="analysis dataset (CSV)")
    latest = protocol_of(study)
    assert latest is not None
    out = io.StringIO()
    rows = analysis_rows(dataset(study, latest.content))
    csv.writer(out, lineterminator="\n").writerows(dataset_csv_rows(rows))
    response = HttpResponse(out.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-dataset.csv"'
    return response
