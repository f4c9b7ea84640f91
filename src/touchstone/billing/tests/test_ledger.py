"""The ledger through its actions: charges at the client's fee, payments allocated to lines,
refunds, reversals, append-only rows, and balances that always equal the sum of entries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from touchstone.accounts.models import Clinic
from touchstone.accounts.roles import Role
from touchstone.audit.models import AuditEvent
from touchstone.billing import actions
from touchstone.billing.models import (
    Allocation,
    AppendOnlyError,
    BillingPolicy,
    Entry,
    Kind,
)
from touchstone.billing.selectors import client_balance, open_amounts, statements
from touchstone.billing.tests.factories import completed, priced_service
from touchstone.conftest import Cast, actor_of, make_client, make_member
from touchstone.scheduling import actions as scheduling
from touchstone.scheduling.models import Status
from touchstone.science.ledger import LedgerError

D = Decimal


def test_it_charges_a_completed_visit_at_the_full_fee_with_its_claim_fields(cast: Cast):
    appointment = completed(cast.harbour)
    entry = actions.do_charge_appointment(actor_of(cast.fiona), appointment)
    assert entry is not None
    assert (entry.delta, entry.basis, entry.billing_code, entry.units) == (
        D("95.00"),
        "full",
        "97124",
        4,  # 60 minutes: 4 units under the CMS 8-minute rule
    )
    assert entry.staff_id == appointment.staff_id and entry.service_id == appointment.service_id
    assert AuditEvent.objects.filter(object_type="billing.entry", action="create").count() == 1


def test_it_charges_the_fee_in_force_on_the_day_of_the_visit(cast: Cast):
    service = priced_service(cast.harbour)
    actions.do_set_fee(
        actor_of(cast.alice),
        {"service": service, "amount": D("110.00"), "effective_from": timezone.localdate()},
    )
    old = actions.do_charge_appointment(actor_of(cast.fiona), completed(cast.harbour, days_ago=3))
    assert old is not None and old.delta == D("95.00")


def test_it_charges_a_tier_percent_of_the_fee(cast: Cast):
    actions.do_install_default_tiers(actor_of(cast.alice))
    appointment = completed(cast.harbour)
    actions.do_assess_tier(
        actor_of(cast.fiona),
        appointment.client,
        {
            "household_size": 3,
            "annual_income": D("31000"),
            "region": "contiguous",
            "verification": "document",
            "review_on": timezone.localdate() + dt.timedelta(days=365),
        },
    )
    entry = actions.do_charge_appointment(actor_of(cast.fiona), appointment)
    # 113.5 % of the guideline -> tier B, 33 % of 95.00 = 31.35
    assert entry is not None and (entry.basis, entry.delta) == ("tier", D("31.35"))


def test_a_no_show_posts_the_policy_fee_through_the_schedule(cast: Cast):
    BillingPolicy.objects.create(clinic=cast.harbour, no_show_fee=D("40.00"))
    appointment = completed(cast.harbour, status=Status.BOOKED)
    scheduling.do_set_status(actor_of(cast.fiona), appointment, Status.NO_SHOW)
    entry = Entry.objects.get(appointment=appointment)
    assert (entry.basis, entry.delta) == ("no_show", D("40.00"))


def test_a_no_show_without_a_policy_fee_costs_nothing(cast: Cast):
    appointment = completed(cast.harbour, status=Status.BOOKED)
    scheduling.do_set_status(actor_of(cast.fiona), appointment, Status.NO_SHOW)
    assert not Entry.objects.filter(appointment=appointment).exists()


def test_it_refuses_to_charge_an_appointment_twice(cast: Cast):
    appointment = completed(cast.harbour)
    actions.do_charge_appointment(actor_of(cast.fiona), appointment)
    with pytest.raises(LedgerError, match="already charged"):
        actions.do_charge_appointment(actor_of(cast.fiona), appointment)


def test_a_payment_is_allocated_oldest_line_first_and_the_rest_is_credit(cast: Cast):
    client = make_client(cast.harbour)
    first = actions.do_charge_appointment(actor_of(cast.fiona), completed(cast.harbour, client, 3))
    second = actions.do_charge_appointment(actor_of(cast.fiona), completed(cast.harbour, client, 2))
    actions.do_record_payment(actor_of(cast.fiona), client, "150.00", "cash")
    assert open_amounts([first, second]) == {first.pk: D("0.00"), second.pk: D("40.00")}
    actions.do_record_payment(actor_of(cast.fiona), client, "50.00", "card")
    assert client_balance(client) == D("-10.00")


def test_it_refuses_an_unbalanced_payment_and_writes_nothing(cast: Cast):
    client = make_client(cast.harbour)
    charge = actions.do_charge_appointment(actor_of(cast.fiona), completed(cast.harbour, client))
    before = (Entry.objects.count(), Allocation.objects.count(), AuditEvent.objects.count())
    with pytest.raises(LedgerError, match="more than the payment"):
        actions.do_record_payment(
            actor_of(cast.fiona), client, "20.00", "cash", allocations=[(charge, "30.00")]
        )
    with pytest.raises(LedgerError, match="more than 0"):
        actions.do_record_payment(actor_of(cast.fiona), client, "-5", "cash")
    assert (Entry.objects.count(), Allocation.objects.count(), AuditEvent.objects.count()) == before


def test_it_refuses_an_over_refund(cast: Cast):
    client = make_client(cast.harbour)
    payment = actions.do_record_payment(actor_of(cast.fiona), client, "50.00", "cash")
    actions.do_refund(actor_of(cast.fiona), payment, "30.00")
    with pytest.raises(LedgerError, match="more than what is left"):
        actions.do_refund(actor_of(cast.fiona), payment, "20.01")
    assert client_balance(client) == D("-20.00")


def test_a_reversal_cancels_an_entry_once_and_is_not_reversible(cast: Cast):
    client = make_client(cast.harbour)
    charge = actions.do_charge_appointment(actor_of(cast.fiona), completed(cast.harbour, client))
    reversal = actions.do_reverse(actor_of(cast.alice), charge, "Charged the wrong client")
    assert reversal.delta == -charge.delta and client_balance(client) == D("0.00")
    with pytest.raises(LedgerError, match="already reversed"):
        actions.do_reverse(actor_of(cast.alice), charge, "again")
    with pytest.raises(LedgerError, match="cannot be reversed"):
        actions.do_reverse(actor_of(cast.alice), reversal, "again")
    with pytest.raises(LedgerError, match="Say why"):
        actions.do_reverse(actor_of(cast.alice), charge, " ")


def test_ledger_rows_cannot_be_changed_or_deleted(cast: Cast):
    payment = actions.do_record_payment(
        actor_of(cast.fiona), make_client(cast.harbour), "50.00", "cash"
    )
    with pytest.raises(AppendOnlyError):
        payment.save()
    with pytest.raises(AppendOnlyError):
        payment.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=payment.pk).update(delta=D("-1"))
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=payment.pk).delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_to_change_a_ledger_row(cast: Cast):
    payment = actions.do_record_payment(
        actor_of(cast.fiona), make_client(cast.harbour), "50.00", "cash"
    )
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE billing_entry SET delta = 0 WHERE id = %s", [payment.pk])


@pytest.mark.django_db(transaction=True)
def test_the_apps_role_may_only_insert_and_read_ledger_rows(cast: Cast):
    """With the two PostgreSQL roles (docs/deploy.md) the app's role posts and reads the
    ledger, but may not change, delete or truncate it even with a SQL prompt: it holds only
    INSERT and SELECT on the ledger tables, as on the audit log (audit.privileges)."""
    from touchstone.billing.models import LEDGER_TABLES
    from touchstone.tests import db_roles

    if not db_roles.two_roles():
        pytest.skip("PostgreSQL with an owner role and the app's role (DATABASE_OWNER_URL)")
    client = make_client(cast.harbour)
    actions.do_charge_appointment(actor_of(cast.fiona), completed(cast.harbour, client))
    actions.do_record_payment(actor_of(cast.fiona), client, "50.00", "cash")
    actions.do_issue_invoice(actor_of(cast.fiona), client)
    before = Entry.objects.count()
    assert before == 2 and client_balance(client) == D("45.00")
    for table in LEDGER_TABLES:
        for statement in (
            f"UPDATE {table} SET id = id",  # noqa: S608 (our own table names)
            f"DELETE FROM {table}",  # noqa: S608
            f"TRUNCATE {table} CASCADE",
        ):
            with (
                pytest.raises(DatabaseError, match="permission denied"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
    assert Entry.objects.count() == before and client_balance(client) == D("45.00")


def test_statements_give_opening_lines_and_closing_for_many_clients(cast: Cast):
    a, b = make_client(cast.harbour), make_client(cast.harbour)
    actions.do_charge_appointment(actor_of(cast.fiona), completed(cast.harbour, a))
    actions.do_record_payment(actor_of(cast.fiona), b, "20.00", "check", "1042")
    now = timezone.now()
    result = statements(cast.harbour, now - dt.timedelta(days=30), now + dt.timedelta(days=1))
    assert result[a.pk].closing == D("95.00") and result[b.pk].closing == D("-20.00")
    assert result[a.pk].opening == D("0.00") and len(result[b.pk].lines) == 1


OPS = st.lists(
    st.tuples(
        st.sampled_from(["charge", "payment", "refund", "reverse"]),
        st.integers(min_value=1, max_value=50_000).map(lambda c: D(c) / 100),
        st.integers(min_value=0, max_value=2),
    ),
    max_size=12,
)


class LedgerProperties(TestCase):
    """Any sequence of charges, payments, refunds and reversals (the refused ones included)
    leaves every balance equal to the sum of its entries, to the cent."""

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ops=OPS)
    def test_every_balance_is_the_sum_of_its_entries(self, ops):
        clinic = Clinic.objects.create(name="Prop", slug="prop")
        desk = make_member(clinic, "prop-desk", Role.OWNER)
        make_member(clinic, "prop-tess", Role.THERAPIST)
        actor = actor_of(desk)
        clients = [make_client(clinic) for _ in range(3)]
        expected = {c.pk: D("0.00") for c in clients}
        for op, amount, who in ops:
            client = clients[who]
            try:
                if op == "charge":
                    service = priced_service(clinic, str(amount), name=f"S {amount}")
                    appointment = completed(clinic, client, service=service)
                    entry = actions.do_charge_appointment(actor, appointment)
                elif op == "payment":
                    entry = actions.do_record_payment(actor, client, amount, "cash")
                elif op == "refund":
                    last = Entry.objects.filter(client=client, kind=Kind.PAYMENT).last()
                    if last is None:
                        continue
                    entry = actions.do_refund(actor, last, amount)
                else:
                    last = Entry.objects.filter(client=client).exclude(kind="reversal").last()
                    if last is None:
                        continue
                    entry = actions.do_reverse(actor, last, "property test")
            except LedgerError:
                continue
            if entry is not None:
                expected[client.pk] += entry.delta
        for client in clients:
            entries = Entry.objects.filter(client=client)
            assert client_balance(client) == sum((e.delta for e in entries), D("0.00"))
            assert client_balance(client) == expected[client.pk]
