"""The demo clinic's claims: a few claims in one 837P that passes pyx12, a remittance with
payments, write-offs and one denial; the same for the same seed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from touchstone.claims.models import Claim, ClaimStatus, Remittance, Submission
from touchstone.claims.tests.x12check import x12_errors
from touchstone.clients.demo import build_demo_clinic

TODAY = dt.date(2026, 11, 1)


def _claims(seed: int) -> list[tuple[object, ...]]:
    with transaction.atomic():
        assert build_demo_clinic(seed=seed, n_clients=30, today=TODAY) is not None
        assert x12_errors(Submission.objects.get().content) == []
        assert Remittance.objects.count() == 1
        rows = [
            (c.number, c.total, c.status, c.lines.count(), c.diagnoses)
            for c in Claim.objects.order_by("number")
        ]
        transaction.set_rollback(True)
    return rows


def test_the_demo_has_paid_partly_paid_and_denied_claims(db: object):
    rows = _claims(7)
    assert [row[2] for row in rows] == [
        ClaimStatus.PAID,
        ClaimStatus.PARTLY_PAID,
        ClaimStatus.DENIED,
    ]
    assert _claims(7) == rows
