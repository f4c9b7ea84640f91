"""The receipt of a payment: who paid whom, when, how much and how, what it paid for (its
allocations to charge lines) and the balance after it. Identifiers and amounts only; no
notes, scores or diagnoses, so the front desk may print it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from touchstone.billing.models import Allocation, Entry, Kind
from touchstone.reports.progress import ReportError
from touchstone.science.ledger import ZERO


@dataclass
class Receipt:
    payment: Entry
    lines: list[tuple[str, str, Decimal]]
    refunded: Decimal
    balance_after: Decimal


def build_receipt(payment: Entry) -> Receipt:
    if payment.kind != Kind.PAYMENT:
        raise ReportError("A receipt is for a payment.")
    lines = [
        (
            f"{a.charge.posted_at:%Y-%m-%d}",
            a.charge.description,
            a.amount,
        )
        for a in Allocation.objects.filter(payment=payment)
        .select_related("charge")
        .order_by("charge__posted_at", "charge_id")
    ]
    refunded = Entry.objects.filter(refund_of=payment).aggregate(s=Sum("delta"))["s"] or ZERO
    after = (
        (
            Entry.objects.filter(client_id=payment.client_id)
            .filter(posted_at__lte=payment.posted_at)
            .exclude(posted_at=payment.posted_at, id__gt=payment.pk)
            .aggregate(s=Sum("delta"))["s"]
        )
        or ZERO
    )
    return Receipt(payment, lines, refunded, after)
