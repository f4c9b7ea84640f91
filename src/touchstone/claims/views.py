"""Claims pages: a client's coverage, the claims list (make claims from charged visits, send
an 837P file, print CMS-1500 pages), remittances (import an 835) and the owner's claim
settings (billing provider, payers, provider numbers). Thin: fetch through the access
helpers, validate with a form, write through ``claims.actions``; a refusal is a message and
writes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.billing.models import Entry, Kind
from touchstone.care.models import Visit
from touchstone.claims import actions, forms
from touchstone.claims.access import get_claim_for, get_coverage_for
from touchstone.claims.models import (
    Claim,
    ClaimSettings,
    Coverage,
    Payer,
    ProviderNumbers,
    Remittance,
)
from touchstone.claims.x835 import RemittanceError
from touchstone.clients.access import get_client_for
from touchstone.lib.http import download
from touchstone.science.ledger import LedgerError

#: Rows a list shows (the newest).
LIST_ROWS = 200


def _errors(form: Any) -> str:
    return " ".join(
        f"{form.fields[name].label or name}: {' '.join(map(str, errs))}"
        if name != "__all__"
        else " ".join(map(str, errs))
        for name, errs in form.errors.items()
    )


@requires("claims.coverage")
def coverage(request: MemberRequest, client_id: int) -> HttpResponse:
    """A client's coverages, and a form to add one."""
    client = get_client_for(request.member, client_id)
    form = forms.CoverageForm(clinic=request.member.clinic)
    if request.method == "POST":
        form = forms.CoverageForm(
            request.POST,
            instance=Coverage(clinic=client.clinic, client=client),
            clinic=request.member.clinic,
        )
        if form.is_valid():
            try:
                with transaction.atomic():
                    actions.do_save_coverage(request.actor, client, form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Coverage saved.")
                return redirect("claims:coverage", client_id=client.pk)
    record(request.actor, Action.READ, client, detail="coverage")
    claims = (
        Claim.objects.for_member(request.member)
        .filter(client=client)
        .select_related("coverage__payer", "rendering__user")
        .order_by("-number")
    )
    return render(
        request,
        "claims/coverage.html",
        {
            "client": client,
            "coverages": Coverage.objects.filter(client=client).select_related("payer"),
            "claims": claims if request.member.can("claims.view") else None,
            "form": form,
        },
    )


@requires("claims.coverage")
def coverage_edit(request: MemberRequest, coverage_id: int) -> HttpResponse:
    item = get_coverage_for(request.member, coverage_id)
    form = forms.CoverageForm(instance=item, clinic=request.member.clinic)
    if request.method == "POST":
        # Validated on a fresh row, so that the action sees what changed (and versions it).
        fresh = Coverage(clinic=item.clinic, client=item.client)
        form = forms.CoverageForm(request.POST, instance=fresh, clinic=request.member.clinic)
        if form.is_valid():
            try:
                with transaction.atomic():
                    actions.do_save_coverage(request.actor, item.client, form.cleaned_data, item)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Coverage saved.")
                return redirect("claims:coverage", client_id=item.client_id)
    record(request.actor, Action.READ, item, detail="coverage")
    return render(request, "claims/coverage_edit.html", {"coverage": item, "form": form})


def _ready_charges(member: Any) -> list[Entry]:
    """Charge lines of completed visits that no claim bills yet (the newest)."""
    return list(
        Entry.objects.for_member(member)
        .filter(
            kind=Kind.CHARGE,
            delta__gt=0,
            reversed_by__isnull=True,
            claim_line__isnull=True,
            appointment__visit__isnull=False,
        )
        .exclude(billing_code="")
        .select_related("client", "service", "appointment__visit")
        .order_by("-posted_at", "-id")[:LIST_ROWS]
    )


@requires("claims.view")
def claim_list(request: MemberRequest) -> HttpResponse:
    claims = (
        Claim.objects.for_member(request.member)
        .select_related("client", "coverage__payer", "rendering__user")
        .order_by("-number")[:LIST_ROWS]
    )
    record(request.actor, Action.LIST, object_type="claims.claim", detail="claims")
    return render(
        request,
        "claims/list.html",
        {"claims": claims, "ready": _ready_charges(request.member)},
    )


@requires("claims.make")
@require_POST
def create(request: MemberRequest) -> HttpResponse:
    """Claims for the visits ticked on the list."""
    ready = _ready_charges(request.member)
    visit_ids = [entry.appointment.visit_id for entry in ready if entry.appointment]
    form = forms.IdsForm(request.POST, choices=[i for i in visit_ids if i])
    if not form.is_valid():
        messages.error(request, f"Tick the visits to claim. {_errors(form)}")
        return redirect("claims:list")
    visits = list(
        Visit.objects.for_member(request.member)
        .filter(pk__in=form.cleaned_data["ids"])
        .select_related("client", "therapist__user")
    )
    try:
        with transaction.atomic():
            claims = actions.do_create_claims(request.actor, visits)
    except actions.ClaimError as error:
        messages.error(request, " ".join(error.problems))
    else:
        messages.success(request, f"{len(claims)} claims made.")
    return redirect("claims:list")


def _chosen_claims(request: MemberRequest) -> list[Claim] | None:
    ids = list(Claim.objects.for_member(request.member).values_list("pk", flat=True))
    form = forms.IdsForm(request.POST, choices=ids)
    if not form.is_valid():
        messages.error(request, f"Tick the claims. {_errors(form)}")
        return None
    return list(Claim.objects.for_member(request.member).filter(pk__in=form.cleaned_data["ids"]))


@requires("claims.make")
@require_POST
def submit(request: MemberRequest) -> HttpResponse:
    """The 837P file of the claims ticked (kept as a submission), as a download."""
    claims = _chosen_claims(request)
    if claims is None:
        return redirect("claims:list")
    visits = list(
        Visit.objects.filter(
            pk__in=[line.visit_id for c in claims for line in c.lines.all()]
        ).select_related("client")
    )
    try:
        with transaction.atomic():
            text, submission = actions.do_export_837p(request.actor, visits)
    except actions.ClaimError as error:
        messages.error(request, " ".join(error.problems))
        return redirect("claims:list")
    return download(text.encode("ascii"), "application/edi-x12", f"claims-{submission.number}.837")


@requires("claims.view")
def cms1500(request: MemberRequest, claim_id: int) -> HttpResponse:
    """The CMS-1500 pages of one claim (PDF)."""
    claim = get_claim_for(request.member, claim_id)
    visits = list(Visit.objects.filter(pk__in=claim.lines.values("visit_id")))
    try:
        pdf, _ = actions.do_export_cms1500(request.actor, visits)
    except actions.ClaimError as error:
        messages.error(request, " ".join(error.problems))
        return redirect("claims:list")
    return download(pdf, "application/pdf", f"cms1500-{claim.control_number}.pdf")


@requires("claims.view")
def remittances(request: MemberRequest) -> HttpResponse:
    """Imported remittances, and the form to import one (``claims.make``)."""
    form = forms.RemittanceForm()
    if request.method == "POST":
        if not request.member.can("claims.make"):
            messages.error(request, "Your role does not allow importing remittances.")
            return redirect("claims:remittances")
        form = forms.RemittanceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():
                    remittance = actions.do_import_835(request.actor, form.cleaned_data["file"])
            except (RemittanceError, LedgerError, ValidationError) as error:
                text = (
                    " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                )
                form.add_error("file", f"{text} Nothing was posted.")
            else:
                messages.success(
                    request,
                    f"Remittance {remittance.trace_number}: {remittance.claims.count()} claims.",
                )
                return redirect("claims:remittances")
    record(request.actor, Action.LIST, object_type="claims.remittance", detail="remittances")
    return render(
        request,
        "claims/remittances.html",
        {
            "form": form,
            "remittances": Remittance.objects.for_member(request.member)
            .prefetch_related("claims__claim")
            .order_by("-imported_at")[:LIST_ROWS],
        },
    )


@requires("clinic.settings")
def claim_settings(request: MemberRequest) -> HttpResponse:
    """The owner's page: the clinic as billing provider and submitter, payers, provider
    numbers of the staff who bill."""
    clinic = request.member.clinic
    current = ClaimSettings.objects.filter(clinic=clinic).first()
    builders = {
        "settings": lambda data: forms.SettingsForm(
            data, instance=ClaimSettings(clinic=clinic) if current is None else None
        ),
        "payer": lambda data: forms.PayerForm(data, instance=Payer(clinic=clinic)),
        "provider": lambda data: forms.ProviderForm(
            data, instance=ProviderNumbers(clinic=clinic), clinic=clinic
        ),
    }
    saves: dict[str, Any] = {
        "settings": actions.do_save_claim_settings,
        "payer": actions.do_save_payer,
        "provider": actions.do_save_provider_numbers,
    }
    bound: dict[str, Any] = {}
    name = request.POST.get("form", "")
    if request.method == "POST" and name in builders:
        form = builders[name](request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    saves[name](request.actor, form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Saved.")
                return redirect("claims:settings")
        bound[name] = form
    return render(
        request,
        "claims/settings.html",
        {
            "clinic": clinic,
            "settings_form": bound.get("settings") or forms.SettingsForm(instance=current),
            "payer_form": bound.get("payer") or forms.PayerForm(),
            "provider_form": bound.get("provider") or forms.ProviderForm(clinic=clinic),
            "payers": Payer.objects.filter(clinic=clinic),
            "providers": ProviderNumbers.objects.filter(clinic=clinic).select_related(
                "staff__user"
            ),
            "problems": actions.clinic_problems(clinic),
        },
    )
