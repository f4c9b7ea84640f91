"""Invoices and statements: the pages (a client's invoices, one invoice, the statement of a
period) and the API (invoices and payments read, payments recorded by front-desk tokens, paged
``{"results": ...}``, the usual error shape, nothing written on a refusal)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.audit.models import AuditEvent
from touchstone.billing import actions
from touchstone.billing.models import Allocation, Entry, Invoice
from touchstone.billing.tests.factories import completed, priced_service
from touchstone.conftest import Cast, actor_of, make_client

D = Decimal


def _charged(cast: Cast, client: Any, amount: str = "95.00", **fields: Any) -> Entry:
    service = priced_service(cast.harbour, amount, name=f"Service {amount}")
    entry = actions.do_charge_appointment(
        actor_of(cast.fiona), completed(cast.harbour, client, service=service, **fields)
    )
    assert entry is not None
    return entry


def test_the_front_desk_issues_an_invoice_and_reads_it(cast: Cast):
    client = make_client(cast.harbour)
    _charged(cast, client, "60.00", days_ago=2)  # posted first: the payment goes to it
    first = _charged(cast, client, "95.00")
    actions.do_record_payment(actor_of(cast.fiona), client, D("50.00"), "cash")
    actions.do_reverse(actor_of(cast.alice), first, "Booked in error")
    desk = cast.browser_for(cast.fiona)
    listing = desk.get(f"/clients/{client.pk}/billing/invoices/").content.decode()
    assert "No invoices yet" in listing and "2 charge lines on no invoice yet" in listing
    assert desk.post(f"/clients/{client.pk}/billing/invoices/new/").status_code == 302
    invoice = Invoice.objects.get(client=client)
    assert invoice.number == 1 and invoice.issued_by == cast.fiona
    page = desk.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    # The 50.00 payment went to the older line (60.00); the 95.00 line is reversed and counts
    # nothing.
    assert 'id="invoice-total">60.00<' in page and 'id="invoice-open">10.00<' in page
    assert "reversed" in page and "<s>95.00</s>" in page
    again = desk.post(f"/clients/{client.pk}/billing/invoices/new/", follow=True)
    assert "already on an invoice" in again.content.decode()
    assert Invoice.objects.filter(client=client).count() == 1
    assert AuditEvent.objects.filter(
        actor=cast.fiona.user, action="read", detail="invoice 1"
    ).exists()


def test_the_statement_has_opening_lines_and_closing(cast: Cast):
    client = make_client(cast.harbour)
    _charged(cast, client, "95.00")
    actions.do_record_payment(actor_of(cast.fiona), client, D("30.00"), "card")
    desk = cast.browser_for(cast.fiona)
    today = timezone.localdate()
    page = desk.get(f"/clients/{client.pk}/billing/statement/").content.decode()
    assert 'id="opening">0.00<' in page and 'id="closing">65.00<' in page
    later = desk.get(
        f"/clients/{client.pk}/billing/statement/",
        {"start": (today + dt.timedelta(days=1)).isoformat(), "end": "2999-01-01"},
    ).content.decode()
    assert 'id="opening">65.00<' in later and 'id="closing">65.00<' in later
    bad = desk.get(
        f"/clients/{client.pk}/billing/statement/", {"start": "2026-05-01", "end": "2026-04-01"}
    )
    assert bad.status_code == 200 and "The end must not be before the start" in bad.content.decode()
    nonsense = desk.get(f"/clients/{client.pk}/billing/statement/", {"start": "soon"})
    assert nonsense.status_code == 200 and "Enter a valid date" in nonsense.content.decode()


def test_invoice_pages_are_refused_outside_the_role_and_the_clinic(cast: Cast):
    client = make_client(cast.harbour)
    _charged(cast, client)
    invoice = actions.do_issue_invoice(actor_of(cast.fiona), client)
    assert cast.browser_for(cast.tess).get(f"/billing/invoices/{invoice.pk}/").status_code == 403
    assert cast.browser_for(cast.charlie).get(f"/billing/invoices/{invoice.pk}/").status_code in (
        403,
        404,
    )


@pytest.fixture
def desk_token(cast: Cast) -> dict[str, str]:
    _, token = do_create_token(actor_of(cast.fiona), "front desk")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_api_lists_invoices_and_payments_paged(cast: Cast, desk_token: dict[str, str]):
    client = make_client(cast.harbour)
    _charged(cast, client, "95.00")
    actions.do_record_payment(actor_of(cast.fiona), client, D("40.00"), "card", "T-1")
    invoice = actions.do_issue_invoice(actor_of(cast.fiona), client)
    http = HttpClient()
    page = http.get(f"/api/v1/clients/{client.pk}/invoices", **desk_token).json()
    assert set(page) == {"results", "next", "previous"} and page["next"] is None
    (row,) = page["results"]
    assert row["number"] == invoice.number and row["total"] == "95.00" and row["open"] == "55.00"
    assert row["lines"][0]["billing_code"] == "97124" and row["lines"][0]["units"] == 4
    one = http.get(f"/api/v1/invoices/{invoice.pk}", **desk_token).json()
    assert one == row
    payments = http.get(f"/api/v1/clients/{client.pk}/payments", **desk_token).json()["results"]
    assert [(p["amount"], p["method"], p["reference"]) for p in payments] == [
        ("40.00", "card", "T-1")
    ]
    other = make_client(cast.northside)
    assert http.get(f"/api/v1/clients/{other.pk}/invoices", **desk_token).status_code == 404


def test_a_front_desk_token_records_a_payment(cast: Cast, desk_token: dict[str, str]):
    client = make_client(cast.harbour)
    charge = _charged(cast, client, "95.00")
    response = HttpClient().post(
        f"/api/v1/clients/{client.pk}/payments",
        {"amount": "95.00", "method": "card", "reference": "T-9"},
        content_type="application/json",
        **desk_token,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "95.00" and body["posted_by_id"] == cast.fiona.pk
    assert Allocation.objects.get(payment_id=body["id"]).charge_id == charge.pk
    assert AuditEvent.objects.filter(
        actor=cast.fiona.user, action="create", object_type="billing.entry"
    ).exists()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"amount": "-5.00", "method": "cash"}, 422, None),
        ({"amount": "5.001", "method": "cash"}, 422, None),
        ({"amount": "5.00", "method": "bitcoin"}, 422, None),
        ({"amount": "1e9", "method": "cash"}, 422, None),
        ({"amount": "5.00", "method": "write_off"}, 403, None),
    ],
)
def test_a_refused_payment_writes_nothing(
    cast: Cast, desk_token: dict[str, str], body: dict[str, str], status: int, field: Any
):
    client = make_client(cast.harbour)
    _charged(cast, client)
    before = Entry.objects.count()
    response = HttpClient().post(
        f"/api/v1/clients/{client.pk}/payments",
        body,
        content_type="application/json",
        **desk_token,
    )
    assert response.status_code == status, response.content
    assert set(response.json()["error"]) >= {"code", "message"}
    assert Entry.objects.count() == before


def test_the_owner_records_a_write_off_through_the_api(cast: Cast):
    client = make_client(cast.harbour)
    _charged(cast, client)
    _, token = do_create_token(actor_of(cast.alice), "owner")
    response = HttpClient().post(
        f"/api/v1/clients/{client.pk}/payments",
        {"amount": "95.00", "method": "write_off"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201 and response.json()["method"] == "write_off"


def test_the_api_lists_each_services_fee_of_today(cast: Cast, desk_token: dict[str, str]):
    priced_service(cast.harbour, "95.00", name="Swedish 60")
    rows = HttpClient().get("/api/v1/fees", **desk_token).json()["results"]
    assert [(r["name"], r["billing_code"], r["fee"]) for r in rows] == [
        ("Swedish 60", "97124", "95.00")
    ]


def test_the_apis_payment_methods_are_the_ledgers():
    from typing import get_args

    from touchstone.billing.api import PaymentMethod
    from touchstone.billing.models import Method

    assert list(get_args(PaymentMethod)) == list(Method.values)
