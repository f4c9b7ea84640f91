"""Progress reports, superbills and the payer report, as HTML pages and PDF downloads.

Every document is audited as an export (identifiers only). Generation takes well under a
second for a demo client (bench/report_progress.py), so the response is synchronous and the
page shows "Preparing…" while the download runs (static/touchstone/reports.js).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.healthcare_use import HealthcareUse
from touchstone.care.models import Intake
from touchstone.clients.access import get_client_for
from touchstone.clients.models import Client
from touchstone.lib.http import download
from touchstone.reports import actions
from touchstone.reports.forms import HealthcareUseForm, PeriodForm
from touchstone.reports.payer import PayerReport, build_payer_report
from touchstone.reports.payer_measures import payer_measures
from touchstone.reports.pdf import render_pdf
from touchstone.reports.progress import ProgressReport, ReportError, build_progress_report
from touchstone.reports.superbill import Superbill, SuperbillError, build_superbill


def _episode_id(request: MemberRequest) -> int | None:
    raw = request.GET.get("episode", "")
    return int(raw) if raw.isdigit() else None


def _problem(
    request: MemberRequest, title: str, problems: list[str], back: str = ""
) -> HttpResponse:
    return render(
        request,
        "reports/problem.html",
        {"title": title, "problems": problems, "back": back},
        status=422,
    )


def _back_to(client: Client) -> str:
    """Where a refused client document sends the reader: the client's page, to fix the cause."""
    return reverse("record:client", args=[client.pk])


def progress_for(request: MemberRequest, client: Client) -> ProgressReport:
    member = request.member
    return build_progress_report(
        member.clinic,
        client,
        episode_id=_episode_id(request),
        with_diagnoses=member.can("diagnoses.view"),
        with_alert_details=member.can("alerts.handle"),
        prepared_by=member.display_name,
        prepared_role=member.get_role_display(),
    )


@requires("reports.progress")
def progress(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    try:
        report = progress_for(request, client)
    except ReportError as error:
        return _problem(request, "Progress report", [str(error)], _back_to(client))
    record(
        request.actor,
        Action.EXPORT,
        client,
        detail=f"progress report html, episode {report.episode.pk}",
    )
    return render(
        request,
        "reports/progress.html",
        {"client": client, "r": report, "can_superbill": request.member.can("reports.superbill")},
    )


@requires("reports.progress")
def progress_pdf(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    try:
        report = progress_for(request, client)
    except ReportError as error:
        return _problem(request, "Progress report", [str(error)], _back_to(client))
    pdf = render_pdf("reports/progress_pdf.html", {"r": report})
    record(
        request.actor,
        Action.EXPORT,
        client,
        detail=f"progress report pdf, episode {report.episode.pk}",
    )
    return download(pdf, "application/pdf", f"progress-{client.pk}-{report.episode.pk}.pdf")


def _superbill(request: MemberRequest, client: Client) -> Superbill:
    return build_superbill(request.member.clinic, client, episode_id=_episode_id(request))


@requires("reports.superbill")
def superbill(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    try:
        bill = _superbill(request, client)
    except SuperbillError as error:
        return _problem(request, "Superbill", error.problems, _back_to(client))
    except ReportError as error:
        return _problem(request, "Superbill", [str(error)], _back_to(client))
    record(
        request.actor, Action.EXPORT, client, detail=f"superbill html, episode {bill.episode.pk}"
    )
    return render(request, "reports/superbill.html", {"client": client, "bill": bill})


@requires("reports.superbill")
def superbill_pdf(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    try:
        bill = _superbill(request, client)
    except SuperbillError as error:
        return _problem(request, "Superbill", error.problems, _back_to(client))
    except ReportError as error:
        return _problem(request, "Superbill", [str(error)], _back_to(client))
    pdf = render_pdf("reports/superbill_pdf.html", {"bill": bill})
    record(request.actor, Action.EXPORT, client, detail=f"superbill pdf, episode {bill.episode.pk}")
    return download(pdf, "application/pdf", f"superbill-{client.pk}-{bill.episode.pk}.pdf")


def _payer(request: MemberRequest) -> tuple[PeriodForm, PayerReport | None]:
    form = PeriodForm(request.GET or None, initial=PeriodForm.default_initial())
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, build_payer_report(request.member.clinic, data["start"], data["end"])


@requires("reports.payer")
def payer(request: MemberRequest) -> HttpResponse:
    form, report = _payer(request)
    quality = None
    if report is not None:
        quality = payer_measures(request.member, report)
        record(
            request.actor, Action.EXPORT, object_type="reports.payer", detail="payer report html"
        )
    return render(request, "reports/payer.html", {"form": form, "rep": report, "quality": quality})


@requires("reports.payer")
def payer_pdf(request: MemberRequest) -> HttpResponse:
    form, report = _payer(request)
    if report is None:
        problems = [f"{name}: {' '.join(map(str, errs))}" for name, errs in form.errors.items()]
        problems = problems or ["Choose a period."]
        return _problem(request, "Payer outcome report", problems, reverse("reports:payer"))
    quality = payer_measures(request.member, report)
    pdf = render_pdf("reports/payer_pdf.html", {"rep": report, "quality": quality})
    record(request.actor, Action.EXPORT, object_type="reports.payer", detail="payer report pdf")
    return download(pdf, "application/pdf", f"payer-{report.start:%Y%m%d}-{report.end:%Y%m%d}.pdf")


@requires("care.edit")
def healthcare_use(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    form = HealthcareUseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_record_healthcare_use(request.actor, client, form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Health-care use recorded.")
            return redirect("reports:healthcare_use", client_id=client.pk)
    rows = HealthcareUse.objects.for_member(request.member).filter(client_id=client.pk)
    intake = Intake.objects.for_member(request.member).filter(client_id=client.pk).first()
    record(request.actor, Action.READ, client, detail="health-care use")
    return render(
        request,
        "reports/healthcare_use.html",
        {"client": client, "form": form, "rows": rows, "intake": intake},
    )
