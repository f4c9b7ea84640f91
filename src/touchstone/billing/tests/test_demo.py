"""The demo clinic's money: fee schedules, clients on each tier, packages, payments and open
balances, the same for the same seed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum

from touchstone.billing.models import ClientPackage, Entry, Fee, TierAssessment
from touchstone.clients.demo import build_demo_clinic

TODAY = dt.date(2026, 11, 1)


def _money(seed: int) -> dict[str, object]:
    with transaction.atomic():
        ctx = build_demo_clinic(seed=seed, n_clients=30, today=TODAY)
        assert ctx is not None
        index = {c.pk: i for i, c in enumerate(ctx.clients)}
        entries = [
            (index[e.client_id], e.kind, e.delta, e.basis)
            for e in Entry.objects.order_by("client_id", "id")
        ]
        balances = {
            index[row["client_id"]]: row["s"]
            for row in Entry.objects.values("client_id").annotate(s=Sum("delta"))
        }
        tiers = set(TierAssessment.objects.values_list("tier__name", flat=True))
        result = {
            "entries": entries,
            "balances": balances,
            "tiers": tiers,
            "fees": Fee.objects.count(),
            "packages": ClientPackage.objects.count(),
        }
        transaction.set_rollback(True)
    return result


@pytest.mark.django_db
def test_the_demo_has_money_on_every_tier_and_is_deterministic():
    first = _money(3)
    assert first["fees"] == 6  # three services, each with last year's and this year's fee
    assert len(first["tiers"]) >= 3 and first["packages"] > 0
    kinds = {kind for _, kind, _, _ in first["entries"]}
    assert {"charge", "payment"} <= kinds
    assert any(b > 0 for b in first["balances"].values())  # some balances stay open
    assert all(b == b.quantize(Decimal("0.01")) for b in first["balances"].values())
    assert _money(3) == first
