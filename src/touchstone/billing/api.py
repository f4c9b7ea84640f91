"""Invoices, payments and fees through the API (issue 14 §2). Reads are paged like every list
(``{"results": [...], "next": ..., "previous": ...}``, lib/pagination); a payment is recorded
through ``billing.actions`` as at the front desk, so the ledger's rules are the same: a
refused payment is a 422 in the usual error shape and writes nothing; every read and write
is audited."""

# No `from __future__ import annotations` here: django-ninja reads the annotations at
# run time to tell path, query and body parameters apart.

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from touchstone.accounts.access import MemberRequest
from touchstone.accounts.api_auth import api_requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.billing import actions
from touchstone.billing.access import get_invoice_for
from touchstone.billing.models import Entry, Invoice, Kind, Method
from touchstone.billing.selectors import InvoiceView, current_fees, invoice_views
from touchstone.clients.access import get_client_for
from touchstone.lib.api_fields import Id
from touchstone.lib.pagination import KeysetPagination, Shaped
from touchstone.scheduling.models import Service
from touchstone.science.ledger import LedgerError

router = Router(tags=["billing"])

Money = Annotated[Decimal, Field(max_digits=10, decimal_places=2)]
#: ``billing.models.Method`` (a test keeps the two equal).
PaymentMethod = Literal["cash", "card", "check", "bank", "insurance", "write_off"]


class InvoiceLineOut(Schema):
    entry_id: int
    posted_at: dt.datetime
    description: str
    basis: str
    service_id: int | None
    billing_code: str
    units: int | None
    staff_id: int | None
    amount: Money
    reversed: bool
    open: Money


class InvoiceOut(Schema):
    id: int
    number: int
    client_id: int
    issued_on: dt.date
    issued_by_id: int
    total: Money = Field(description="The lines' amounts; a reversed line counts 0.")
    open: Money = Field(description="What the lines still owe after allocated payments.")
    lines: list[InvoiceLineOut]


class PaymentOut(Schema):
    id: int
    client_id: int
    posted_at: dt.datetime
    amount: Money
    method: str
    reference: str
    posted_by_id: int | None
    reversed: bool


class PaymentIn(Schema):
    amount: Money = Field(..., gt=0, description='Dollars and cents, e.g. "40.00".')
    method: PaymentMethod = Field(..., description="write_off: the owner's only.")
    reference: str = Field("", max_length=60, description="Check number, terminal receipt.")


class FeeOut(Schema):
    service_id: int
    name: str
    billing_code: str
    fee: Money | None = Field(description="The full fee in force today; null: none set.")


def _invoice_out(view: InvoiceView) -> dict[str, Any]:
    invoice = view.invoice
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "client_id": invoice.client_id,
        "issued_on": invoice.issued_on,
        "issued_by_id": invoice.issued_by_id,
        "total": view.total,
        "open": view.open,
        "lines": [
            {
                "entry_id": line.entry.pk,
                "posted_at": line.entry.posted_at,
                "description": line.entry.description,
                "basis": line.entry.basis,
                "service_id": line.entry.service_id,
                "billing_code": line.entry.billing_code,
                "units": line.entry.units,
                "staff_id": line.entry.staff_id,
                "amount": line.entry.delta,
                "reversed": line.reversed,
                "open": line.open,
            }
            for line in view.lines
        ],
    }


def _payment_out(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "client_id": entry.client_id,
        "posted_at": entry.posted_at,
        "amount": entry.amount,
        "method": entry.method,
        "reference": entry.reference,
        "posted_by_id": entry.posted_by_id,
        "reversed": getattr(entry, "is_reversed", False),
    }


@router.get("/clients/{client_id}/invoices", response=list[InvoiceOut])
@api_requires("billing.view")
@paginate(KeysetPagination)
def list_invoices(request: MemberRequest, client_id: Id) -> Any:
    client = get_client_for(request.member, client_id)
    record(request.actor, Action.LIST, client, detail="invoices, api")
    rows = Invoice.objects.for_member(request.member).filter(client_id=client.pk)
    return Shaped(
        rows, lambda page: [_invoice_out(v) for v in invoice_views(page)], whole_page=True
    )


@router.get("/invoices/{invoice_id}", response=InvoiceOut)
@api_requires("billing.view")
def get_invoice(request: MemberRequest, invoice_id: Id) -> Any:
    invoice = get_invoice_for(request.member, invoice_id)
    record(request.actor, Action.READ, invoice.client, detail=f"invoice {invoice.number}, api")
    (view,) = invoice_views([invoice])
    return _invoice_out(view)


def _payments(request: MemberRequest, client_id: int) -> Any:
    return (
        Entry.objects.for_member(request.member)
        .filter(client_id=client_id, kind=Kind.PAYMENT)
        .annotate(is_reversed=Exists(Entry.objects.filter(reverses=OuterRef("pk"))))
    )


@router.get("/clients/{client_id}/payments", response=list[PaymentOut])
@api_requires("billing.view")
@paginate(KeysetPagination)
def list_payments(request: MemberRequest, client_id: Id) -> Any:
    client = get_client_for(request.member, client_id)
    record(request.actor, Action.LIST, client, detail="payments, api")
    return Shaped(_payments(request, client.pk), _payment_out)


@router.post("/clients/{client_id}/payments", response={201: PaymentOut})
@api_requires("billing.take")
def create_payment(request: MemberRequest, client_id: Id, payload: PaymentIn) -> Any:
    """Record money received (not processed: the terminal or bank did that), allocated to
    the client's open charge lines oldest first; what is left stays as credit."""
    client = get_client_for(request.member, client_id)
    if payload.method == Method.WRITE_OFF and not request.member.can("billing.correct"):
        raise PermissionDenied("A write-off is the owner's to record.")
    try:
        with transaction.atomic():
            payment = actions.do_record_payment(
                request.actor, client, payload.amount, payload.method, payload.reference
            )
    except LedgerError as error:
        raise ValidationError({"amount": [str(error)]}) from None
    return Status(201, _payment_out(payment))


@router.get("/fees", response=list[FeeOut])
@api_requires("schedule.view")
@paginate(KeysetPagination)
def list_fees(request: MemberRequest) -> Any:
    """Each service with its full fee in force today (the fee schedule, docs/billing.md)."""
    record(request.actor, Action.LIST, object_type="billing.fee", detail="api")

    def shape(services: list[Service]) -> list[dict[str, Any]]:
        fees = current_fees(request.member.clinic_id, [s.pk for s in services])
        return [
            {
                "service_id": s.pk,
                "name": s.name,
                "billing_code": s.billing_code,
                "fee": fees.get(s.pk),
            }
            for s in services
        ]

    return Shaped(Service.objects.for_member(request.member), shape, whole_page=True)
