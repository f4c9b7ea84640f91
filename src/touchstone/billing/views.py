"""Money pages: a client's account (tier, packages, entries, balance) with the front desk's
forms, the owner's fee schedule, the charges of one's own visits, the access report.
Thin: fetch through the access helpers, validate with a form, write through
``billing.actions``; a refused posting is shown as a message and writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.billing import actions, forms
from touchstone.billing.access import get_entry_for, get_invoice_for
from touchstone.billing.access_report import access_report, access_rows
from touchstone.billing.models import (
    BillingPolicy,
    CommunitySlot,
    Entry,
    Fee,
    FeeTier,
    Kind,
    PackagePlan,
)
from touchstone.billing.selectors import (
    billing_panel,
    client_invoices,
    client_statement,
    invoice_views,
    uninvoiced_charges,
)
from touchstone.clients.access import get_client_for
from touchstone.lib import csv_cells
from touchstone.scheduling.access import get_appointment_for
from touchstone.science.ledger import LedgerError


def _refused(request: MemberRequest, error: Exception) -> None:
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, text)


def _form_errors(form: BaseForm) -> str:
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(error) for error in errors)
        parts.append(text if name == "__all__" else f"{form.fields[name].label or name}: {text}")
    return " ".join(parts)


def _attempt(request: MemberRequest, write: Any, done: str) -> None:
    """Run ``write``; a refusal becomes the page's message and rolls back everything."""
    try:
        with transaction.atomic():
            write()
    except (LedgerError, ValidationError) as error:
        _refused(request, error)
    else:
        messages.success(request, done)


@requires("billing.view")
def client_account(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    panel = billing_panel(client)
    record(request.actor, Action.READ, client, detail="billing account")
    return render(
        request,
        "billing/client.html",
        {
            "client": client,
            "panel": panel,
            "assess_form": forms.AssessmentForm(
                initial={"review_on": timezone.localdate() + dt.timedelta(days=365)}
            ),
            "sell_form": forms.SellPackageForm(clinic=request.member.clinic),
            "pay_form": forms.PaymentForm(),
            "refund_form": forms.RefundForm(),
            "reverse_form": forms.ReverseForm(),
            "slot_form": forms.BookSlotForm(clinic=request.member.clinic),
        },
    )


def _back(client_id: int) -> HttpResponse:
    return redirect("billing:client", client_id=client_id)


def _post(
    request: MemberRequest,
    form: BaseForm,
    client_id: int,
    write: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """The account page's forms, one shape: an invalid form becomes the page's message; a
    valid one runs ``write(cleaned_data)`` through :func:`_attempt` (a refusal, raised as
    ``ValidationError`` or ``LedgerError``, writes nothing); back to the account either way."""
    if form.is_valid():
        _attempt(request, lambda: write(form.cleaned_data), done)
    else:
        messages.error(request, _form_errors(form))
    return _back(client_id)


@requires("billing.take")
@require_POST
def assess(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    return _post(
        request,
        forms.AssessmentForm(request.POST),
        client.pk,
        lambda data: actions.do_assess_tier(request.actor, client, data),
        "Tier assessed.",
    )


@requires("billing.take")
@require_POST
def sell_package(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    return _post(
        request,
        forms.SellPackageForm(request.POST, clinic=request.member.clinic),
        client.pk,
        lambda data: actions.do_sell_package(request.actor, client, data["plan"]),
        "Package sold.",
    )


@requires("billing.take")
@require_POST
def pay(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)

    def write(data: dict[str, Any]) -> Entry:
        if data["method"] == "write_off" and not request.member.can("billing.correct"):
            raise ValidationError("A write-off is the owner's to record.")
        return actions.do_record_payment(
            request.actor, client, data["amount"], data["method"], data["reference"]
        )

    return _post(request, forms.PaymentForm(request.POST), client.pk, write, "Payment recorded.")


@requires("billing.take")
@require_POST
def book_slot(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    return _post(
        request,
        forms.BookSlotForm(request.POST, clinic=request.member.clinic),
        client.pk,
        lambda data: actions.do_book_community_slot(
            request.actor, data["slot"], client, data["service"]
        ),
        "Booked into the community slot.",
    )


@requires("billing.take")
@require_POST
def charge(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)

    def write(data: dict[str, Any]) -> Entry:
        appointment = get_appointment_for(request.member, data["appointment"])
        if appointment.client_id != client.pk:
            raise ValidationError("This appointment is another client's.")
        entry = actions.do_charge_appointment(request.actor, appointment)
        if entry is None:
            raise LedgerError(
                "Nothing to charge: the fee schedule has no fee for this service on that day."
            )
        return entry

    return _post(request, forms.ChargeForm(request.POST), client.pk, write, "Charge posted.")


@requires("billing.take")
@require_POST
def refund(request: MemberRequest, entry_id: int) -> HttpResponse:
    entry = get_entry_for(request.member, entry_id)
    return _post(
        request,
        forms.RefundForm(request.POST),
        entry.client_id,
        lambda data: actions.do_refund(request.actor, entry, data["amount"], data["reason"]),
        "Refund recorded.",
    )


@requires("billing.correct")
@require_POST
def reverse(request: MemberRequest, entry_id: int) -> HttpResponse:
    entry = get_entry_for(request.member, entry_id)
    return _post(
        request,
        forms.ReverseForm(request.POST),
        entry.client_id,
        lambda data: actions.do_reverse(request.actor, entry, data["reason"]),
        "Entry reversed.",
    )


@requires("billing.view")
def invoices(request: MemberRequest, client_id: int) -> HttpResponse:
    """The client's invoices, newest first, with what each still owes."""
    client = get_client_for(request.member, client_id)
    rows = client_invoices(client)
    record(request.actor, Action.READ, client, detail="invoices")
    return render(
        request,
        "billing/invoices.html",
        {"client": client, "invoices": rows, "uninvoiced": uninvoiced_charges(client)},
    )


@requires("billing.take")
@require_POST
def issue_invoice(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    _attempt(request, lambda: actions.do_issue_invoice(request.actor, client), "Invoice issued.")
    return redirect("billing:invoices", client_id=client.pk)


@requires("billing.view")
def invoice(request: MemberRequest, invoice_id: int) -> HttpResponse:
    """One invoice: its charge lines (reversed ones marked), total and what is open."""
    found = get_invoice_for(request.member, invoice_id)
    (view,) = invoice_views([found])
    record(request.actor, Action.READ, found.client, detail=f"invoice {found.number}")
    return render(request, "billing/invoice.html", {"client": found.client, "view": view})


#: The statement's default period: the last 90 days.
STATEMENT_DAYS = 90


@requires("billing.view")
def statement(request: MemberRequest, client_id: int) -> HttpResponse:
    """The client's statement for a period (``?start=&end=``, local dates; default the last
    90 days): opening balance, every entry of the period, closing balance."""
    client = get_client_for(request.member, client_id)
    form = forms.PeriodForm(request.GET or None)
    today = timezone.localdate()
    first, last = today - dt.timedelta(days=STATEMENT_DAYS), today
    if form.is_bound and form.is_valid():
        first = form.cleaned_data["start"] or first
        last = form.cleaned_data["end"] or last
    zone = timezone.get_current_timezone()
    found = client_statement(
        client,
        dt.datetime.combine(first, dt.time.min, tzinfo=zone),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )
    record(request.actor, Action.READ, client, detail="statement")
    return render(
        request,
        "billing/statement.html",
        {
            "client": client,
            "statement": found,
            "first": first,
            "last": last,
            "form": form
            if form.is_bound
            else forms.PeriodForm(initial={"start": first, "end": last}),
        },
    )


@requires("billing.fees")
def fees(request: MemberRequest) -> HttpResponse:
    """The fee schedule (with its history), the tiers, the packages on sale and the fees of
    a missed appointment; each form posts here with its ``form`` name."""
    clinic = request.member.clinic
    builders = {
        "fee": lambda data: forms.FeeForm(data, clinic=clinic),
        "tier": lambda data: forms.TierForm(data),
        "plan": lambda data: forms.PlanForm(data, clinic=clinic),
        "slot": lambda data: forms.SlotForm(data, clinic=clinic),
        "policy": lambda data: forms.PolicyForm(
            data, instance=BillingPolicy.objects.filter(clinic=clinic).first()
        ),
    }
    writes = {
        "fee": actions.do_set_fee,
        "tier": actions.do_create_tier,
        "plan": actions.do_create_plan,
        "policy": actions.do_save_billing_policy,
        "slot": actions.do_set_aside_slot,
    }
    bound: dict[str, Any] = {}
    if request.method == "POST":
        if request.POST.get("form") == "default_tiers":
            _attempt(request, lambda: actions.do_install_default_tiers(request.actor), "Tiers set.")
            return redirect("billing:fees")
        name = request.POST.get("form", "")
        if name in builders:
            form = builders[name](request.POST)
            if form.is_valid():
                try:
                    with transaction.atomic():
                        writes[name](request.actor, form.cleaned_data)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(request, "Saved.")
                    return redirect("billing:fees")
            bound[name] = form
    policy = BillingPolicy.objects.filter(clinic=clinic).first()
    return render(
        request,
        "billing/fees.html",
        {
            "fees": Fee.objects.filter(clinic=clinic).select_related("service"),
            "tiers": FeeTier.objects.filter(clinic=clinic),
            "plans": PackagePlan.objects.filter(clinic=clinic).select_related("service"),
            "policy": policy,
            "fee_form": bound.get("fee") or forms.FeeForm(clinic=clinic),
            "tier_form": bound.get("tier") or forms.TierForm(),
            "plan_form": bound.get("plan") or forms.PlanForm(clinic=clinic),
            "policy_form": bound.get("policy") or forms.PolicyForm(instance=policy),
            "slot_form": bound.get("slot") or forms.SlotForm(clinic=clinic),
            "slots": CommunitySlot.objects.filter(clinic=clinic)
            .select_related("tier", "staff__user")
            .order_by("-starts_at")[:50],
        },
    )


@requires("billing.own")
def my_charges(request: MemberRequest) -> HttpResponse:
    """The charge lines of the visits the signed-in member gave (the last 200)."""
    entries = (
        Entry.objects.for_member(request.member)
        .filter(kind=Kind.CHARGE, staff=request.member)
        .select_related("client", "service")
        .order_by("-posted_at", "-id")[:200]
    )
    record(request.actor, Action.LIST, object_type="billing.entry", detail="own charges")
    return render(request, "billing/mine.html", {"entries": entries})


@requires("billing.reports")
def access(request: MemberRequest) -> HttpResponse:
    """Clients, visits and reliable improvement by fee tier (aggregates, small cells hidden);
    ``?format=csv`` downloads it."""
    report = access_report(request.member.clinic)
    record(request.actor, Action.EXPORT if request.GET.get("format") == "csv" else Action.READ,
           object_type="billing.access_report", detail="aggregates by tier")  # fmt: skip
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="access-report.csv"'
        csv_cells.writer(response).writerows(access_rows(report))
        return response
    return render(request, "billing/access.html", {"report": report})
