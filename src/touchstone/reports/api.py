# No `from __future__ import annotations` here: django-ninja reads the annotations at
# run time to tell path, query and body parameters apart.
import datetime as dt

from django.http import HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from touchstone.accounts.access import MemberRequest
from touchstone.accounts.api_auth import api_requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.access import get_client_for
from touchstone.lib.api_fields import Id
from touchstone.lib.http import download
from touchstone.reports.payer import build_payer_report
from touchstone.reports.pdf import render_pdf
from touchstone.reports.progress import ReportError, build_progress_report
from touchstone.reports.superbill import SuperbillError, build_superbill

router = Router(tags=["reports"])
#: The document says these operations answer a PDF file, not JSON.
PDF = {"responses": {"200": {"description": "A PDF file", "content": {"application/pdf": {}}}}}


class PeriodQuery(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    episode: Id | None = None


@router.get(
    "/clients/{client_id}/progress.pdf",
    summary="The progress report of a client's episode (latest, or ?episode=ID), as PDF",
    openapi_extra=PDF,
)
@api_requires("reports.progress")
def progress_pdf(request: MemberRequest, client_id: Id, q: Query[PeriodQuery]) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    member = request.member
    try:
        report = build_progress_report(
            member.clinic,
            client,
            episode_id=q.episode,
            with_diagnoses=member.can("diagnoses.view"),
            with_alert_details=member.can("alerts.handle"),
            prepared_by=member.display_name,
            prepared_role=member.get_role_display(),
        )
    except ReportError as error:
        raise HttpError(422, str(error)) from None
    pdf = render_pdf("reports/progress_pdf.html", {"r": report})
    record(
        request.actor,
        Action.EXPORT,
        client,
        detail=f"progress report pdf, episode {report.episode.pk}",
    )
    return download(pdf, "application/pdf", f"progress-{client.pk}-{report.episode.pk}.pdf")


@router.get(
    "/clients/{client_id}/superbill.pdf",
    summary="A superbill of a client's episode",
    openapi_extra=PDF,
)
@api_requires("reports.superbill")
def superbill_pdf(request: MemberRequest, client_id: Id, q: Query[PeriodQuery]) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    try:
        bill = build_superbill(
            request.member.clinic, client, episode_id=q.episode, start=q.start, end=q.end
        )
    except SuperbillError as error:
        raise HttpError(422, " ".join(error.problems)) from None
    except ReportError as error:
        raise HttpError(422, str(error)) from None
    pdf = render_pdf("reports/superbill_pdf.html", {"bill": bill})
    record(request.actor, Action.EXPORT, client, detail=f"superbill pdf, episode {bill.episode.pk}")
    return download(pdf, "application/pdf", f"superbill-{client.pk}-{bill.episode.pk}.pdf")


@router.get(
    "/payer.pdf",
    summary="The payer outcome report for a period (default: 26 weeks)",
    openapi_extra=PDF,
)
@api_requires("reports.payer")
def payer_pdf(request: MemberRequest, q: Query[PeriodQuery]) -> HttpResponse:
    end = q.end or timezone.localdate()
    start = q.start or end - dt.timedelta(days=182)
    if end < start:
        raise HttpError(422, "The end of the period cannot be before its start.")
    report = build_payer_report(request.member.clinic, start, end)
    pdf = render_pdf("reports/payer_pdf.html", {"rep": report})
    record(
        request.actor, Action.EXPORT, object_type="reports.payer", detail="payer report pdf, api"
    )
    return download(pdf, "application/pdf", f"payer-{start:%Y%m%d}-{end:%Y%m%d}.pdf")
