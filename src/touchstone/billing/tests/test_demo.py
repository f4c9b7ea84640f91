"""The demo clinic's money: fee schedules for the calendar's own services, clients on each
tier, packages, the calendar's completed appointments charged and its missed ones fined,
payments, open balances and invoices; the same for the same seed, built in one batch or many."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from touchstone.billing.models import ClientPackage, Entry, Fee, Invoice, TierAssessment
from touchstone.billing.selectors import client_balance
from touchstone.clients import demo
from touchstone.clients.models import Client
from touchstone.scheduling.models import Appointment, Location, Service, Status

TODAY = dt.date(2026, 11, 1)


def _money(seed: int, batch: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.setattr(demo, "BATCH", batch)
    with transaction.atomic():
        ctx = demo.build_demo_clinic(seed=seed, n_clients=30, today=TODAY)
        assert ctx is not None
        # Ids differ between builds (PostgreSQL's sequences do not roll back): compare by
        # the clients' and appointments' order.
        clients = Client.objects.order_by("pk").values_list("pk", flat=True)
        index = {pk: i for i, pk in enumerate(clients)}
        calendar = Appointment.objects.order_by("pk").values_list("pk", flat=True)
        slots = {pk: i for i, pk in enumerate(calendar)}
        entries = [
            (index[e.client_id], e.kind, e.delta, e.basis, slots.get(e.appointment_id))
            for e in Entry.objects.order_by("client_id", "id")
        ]
        # Each balance as the ledger reports it (SQLite's SUM goes through a float) and as
        # the exact sum of the entries' Decimals: equal to the cent.
        balances: dict[int, Decimal] = {}
        for e in Entry.objects.order_by("id"):
            balances[index[e.client_id]] = balances.get(index[e.client_id], Decimal(0)) + e.delta
        reported = {
            index[c.pk]: client_balance(c)
            for c in Client.objects.filter(pk__in=[pk for pk in index if index[pk] in balances])
        }
        assert reported == balances
        charged = {
            (slots[e.appointment_id], e.basis)
            for e in Entry.objects.filter(kind="charge", appointment__isnull=False)
        }
        result = {
            "entries": entries,
            "balances": balances,
            "charged": charged,
            "tiers": set(TierAssessment.objects.values_list("tier__name", flat=True)),
            "fees": Fee.objects.count(),
            "services": Service.objects.count(),
            "locations": list(Location.objects.values_list("name", flat=True)),
            "packages": ClientPackage.objects.count(),
            "invoices": Invoice.objects.count(),
            "completed": {
                slots[pk]
                for pk in Appointment.objects.filter(status=Status.COMPLETED).values_list(
                    "pk", flat=True
                )
            },
            "missed": {
                slots[pk]
                for pk in Appointment.objects.filter(
                    status__in=[Status.NO_SHOW, Status.LATE_CANCELLED]
                ).values_list("pk", flat=True)
            },
        }
        transaction.set_rollback(True)
    return result


def _check(money: dict[str, object]) -> None:
    # One set of services and one location: the calendar's, each with last year's and this
    # year's fee.
    assert money["services"] == 4 and money["locations"] == ["Stillwater studio"]
    assert money["fees"] == 8
    # Every completed appointment is charged once (full, tier or package), every missed one
    # has the policy's fee, nothing else of the calendar is charged.
    charged: set[tuple[int, str]] = money["charged"]  # type: ignore[assignment]
    care = {slot for slot, basis in charged if basis in ("full", "tier", "package")}
    missed = {slot for slot, basis in charged if basis in ("no_show", "late_cancel")}
    assert care == money["completed"] and missed == money["missed"]
    assert len(charged) == len(care) + len(missed)  # one charge per appointment
    assert {basis for _, basis in charged} >= {"full", "tier", "package", "no_show"}
    assert len(money["tiers"]) >= 3  # type: ignore[arg-type]
    assert money["packages"] and money["invoices"]
    entries: list[tuple[object, ...]] = money["entries"]  # type: ignore[assignment]
    assert {"charge", "payment"} <= {entry[1] for entry in entries}
    balances: dict[int, Decimal] = money["balances"]  # type: ignore[assignment]
    assert any(b > 0 for b in balances.values())  # some balances stay open
    assert all(b == b.quantize(Decimal("0.01")) for b in balances.values())


@pytest.mark.django_db
def test_the_demo_charges_the_calendar_on_every_tier_and_is_deterministic(monkeypatch):
    first = _money(3, 500, monkeypatch)
    _check(first)
    assert _money(3, 500, monkeypatch) == first  # the same seed, the same money


@pytest.mark.django_db
def test_the_demo_money_is_right_when_the_clinic_is_built_in_batches(monkeypatch):
    """Batches of 7 (of 30 clients): the calendar and its money are built once, after the
    last batch, over every batch's clients (the rest of the demo draws differently from the
    seed in batches, so the figures are not those of one batch)."""
    batched = _money(3, 7, monkeypatch)
    _check(batched)
    assert len({entry[0] for entry in batched["entries"]}) > 7  # type: ignore[attr-defined]
