"""Read-only money queries, each in a fixed number of queries: balances, open amounts of
charge lines, package balances, the client's billing panel, statements for many clients."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from touchstone.billing.models import (
    Allocation,
    ClientPackage,
    Entry,
    Fee,
    Invoice,
    Kind,
    PackageDraw,
    TierAssessment,
)
from touchstone.clients.models import Client
from touchstone.scheduling.models import Appointment, Status
from touchstone.science.ledger import ZERO, balance


def client_balance(client: Client) -> Decimal:
    """What the client owes (negative: credit), to the cent: one SUM over their entries."""
    total = Entry.objects.filter(client=client).aggregate(s=Sum("delta"))["s"]
    return balance([total or ZERO])


def current_fees(
    clinic_id: int, service_ids: Sequence[int], day: dt.date | None = None
) -> dict[int, Decimal]:
    """The full fee in force on ``day`` (default today) of each service that has one: one
    query, the newest row per service on or before the day (registered with
    ``scheduling.fees`` for scheduling's pages)."""
    day = day or timezone.localdate()
    fees: dict[int, Decimal] = {}
    for service_id, amount in (
        Fee.objects.filter(clinic_id=clinic_id, service_id__in=list(service_ids))
        .filter(effective_from__lte=day)
        .order_by("service_id", "-effective_from")
        .values_list("service_id", "amount")
    ):
        fees.setdefault(service_id, amount)
    return fees


def fees_on(wanted: Iterable[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], Decimal]:
    """The full fee in force of each ``(service_id, day)`` that has one: one query for any
    number (every fee row of those services up to the last day, chosen here)."""
    wanted = set(wanted)
    if not wanted:
        return {}
    rows: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for service_id, since, amount in (
        Fee.objects.filter(
            service_id__in={s for s, _ in wanted}, effective_from__lte=max(d for _, d in wanted)
        )
        .order_by("service_id", "-effective_from")
        .values_list("service_id", "effective_from", "amount")
    ):
        rows[service_id].append((since, amount))
    found: dict[tuple[int, dt.date], Decimal] = {}
    for service_id, day in wanted:
        fee = next((a for since, a in rows[service_id] if since <= day), None)
        if fee is not None:
            found[(service_id, day)] = fee
    return found


def current_assessment(client: Client) -> TierAssessment | None:
    return (
        TierAssessment.objects.filter(client_id=client.pk)
        .select_related("tier", "assessed_by__user")
        .order_by("-assessed_on", "-id")
        .first()
    )


def package_left(package: ClientPackage) -> int:
    drawn = PackageDraw.objects.filter(package=package).aggregate(n=Sum("visits"))["n"]
    return package.visits - (drawn or 0)


def usable_package(appointment: Appointment) -> ClientPackage | None:
    """The client's package a completed appointment draws from: unexpired on its day, with
    visits left, for its service (or any); the one expiring first."""
    day = timezone.localdate(appointment.starts_at)
    candidates = (
        ClientPackage.objects.filter(client_id=appointment.client_id, expires_on__gte=day)
        .filter(Q(plan__service__isnull=True) | Q(plan__service_id=appointment.service_id))
        .select_related("plan")
        .order_by("expires_on", "id")
    )
    return next((p for p in candidates if package_left(p) > 0), None)


def refunded(payment: Entry) -> Decimal:
    """What went back from ``payment`` (refunds not themselves reversed)."""
    total = Entry.objects.filter(
        refund_of=payment, kind=Kind.REFUND, reversed_by__isnull=True
    ).aggregate(s=Sum("delta"))["s"]
    return total or ZERO


def open_amounts(charges: Sequence[Entry]) -> dict[int, Decimal]:
    """What each charge line still owes: its amount (0 once reversed) less the allocations
    of payments that are not reversed. Two queries whatever the number of lines."""
    ids = [c.pk for c in charges]
    reversed_ids = set(
        Entry.objects.filter(reverses_id__in=ids).values_list("reverses_id", flat=True)
    )
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in (
        Allocation.objects.filter(charge_id__in=ids, payment__reversed_by__isnull=True)
        .values("charge_id")
        .annotate(s=Sum("amount"))
    ):
        paid[row["charge_id"]] = row["s"]
    return {
        c.pk: ZERO if c.pk in reversed_ids else max(ZERO, c.delta - paid[c.pk]) for c in charges
    }


@dataclass
class PackageRow:
    package: ClientPackage
    left: int
    expired: bool


@dataclass
class BillingPanel:
    client: Client
    assessment: TierAssessment | None
    assessment_due: bool
    packages: list[PackageRow]
    entries: list[Entry]
    balance: Decimal
    uncharged: list[Appointment] = field(default_factory=list)


def billing_panel(client: Client) -> BillingPanel:
    """Everything the front desk needs about a client's money, in a fixed number of queries."""
    today = timezone.localdate()
    assessment = current_assessment(client)
    packages = list(
        ClientPackage.objects.filter(client=client).select_related("plan").order_by("-id")
    )
    drawn = dict(
        PackageDraw.objects.filter(package__client=client)
        .values("package_id")
        .annotate(n=Sum("visits"))
        .values_list("package_id", "n")
    )
    entries = list(
        Entry.objects.filter(client=client)
        .select_related("service", "tier", "reverses", "staff__user")
        .order_by("posted_at", "id")
    )
    charged = {e.appointment_id for e in entries if e.kind == Kind.CHARGE and e.appointment_id}
    uncharged = [
        a
        for a in Appointment.objects.filter(client=client, status=Status.COMPLETED)
        .select_related("service")
        .order_by("-starts_at")[:20]
        if a.pk not in charged
    ]
    return BillingPanel(
        client=client,
        assessment=assessment,
        assessment_due=assessment is None or assessment.is_due(today),
        packages=[
            PackageRow(p, p.visits - (drawn.get(p.pk) or 0), p.expires_on < today) for p in packages
        ],
        entries=entries,
        balance=balance(e.delta for e in entries),
        uncharged=uncharged,
    )


@dataclass
class Statement:
    client_id: int
    opening: Decimal
    lines: list[tuple[dt.datetime, str, str, Decimal]]
    closing: Decimal


def statements(
    clinic: Any, start: dt.datetime, end: dt.datetime, client_ids: Iterable[int] | None = None
) -> dict[int, Statement]:
    """Statements of every client with entries (or of ``client_ids``) for [start, end):
    the opening balance, the period's lines and the closing balance. Two queries for any
    number of clients (one aggregate for the openings, one scan of the period)."""
    base = Entry.objects.filter(clinic=clinic)
    if client_ids is not None:
        base = base.filter(client_id__in=list(client_ids))
    openings = dict(
        base.filter(posted_at__lt=start)
        .values("client_id")
        .annotate(s=Sum("delta"))
        .values_list("client_id", "s")
    )
    # SQLite's SUM of decimals goes through a float: back to cents.
    result: dict[int, Statement] = {
        cid: Statement(cid, balance([total]), [], balance([total]))
        for cid, total in openings.items()
    }
    rows = (
        base.filter(posted_at__gte=start, posted_at__lt=end)
        .order_by("client_id", "posted_at", "id")
        .values_list("client_id", "posted_at", "kind", "description", "delta")
    )
    for cid, at, kind, description, delta in rows.iterator(chunk_size=5000):
        statement = result.get(cid)
        if statement is None:
            statement = result[cid] = Statement(cid, ZERO, [], ZERO)
        statement.lines.append((at, kind, description, delta))
        statement.closing += delta
    return result


@dataclass
class PeriodMoney:
    """What the ledger says of a period: net charges (reversals taken off; no-show and
    late-cancellation fees left out, as they are not care) and net payments received
    (refunds taken off). ``charged`` is None when the ledger has no charge in the period."""

    charged: Decimal | None
    paid: Decimal


#: Charges that are not care: fees for missed appointments.
_NOT_CARE = ("no_show", "late_cancel")


def _counted_as(
    kind: str, basis: str, reversed_kind: str | None, reversed_basis: str | None
) -> str:
    """Where an entry counts in :class:`PeriodMoney`: "charged" (a charge for care, or its
    reversal), "paid" (a payment or refund, or its reversal) or "" (neither: a fee for a missed
    appointment, or its reversal)."""
    if kind == Kind.REVERSAL:
        kind, basis = reversed_kind or "", reversed_basis or ""
    if kind == Kind.CHARGE and basis not in _NOT_CARE:
        return "charged"
    return "paid" if kind in (Kind.PAYMENT, Kind.REFUND) else ""


def period_money(clinic: Any, first: dt.datetime, last: dt.datetime) -> PeriodMoney:
    """One query over the entries posted in [first, last): their sums per kind and basis (and
    the kind and basis of what a reversal reverses), a few rows whatever the number of
    entries, added up here (the owner's home page shows the week's money on every view)."""
    sums: dict[str, Decimal] = {}
    for kind, basis, reversed_kind, reversed_basis, total in (
        Entry.objects.filter(clinic=clinic, posted_at__gte=first, posted_at__lt=last)
        .values("kind", "basis", "reverses__kind", "reverses__basis")
        .annotate(total=Sum("delta"))
        .values_list("kind", "basis", "reverses__kind", "reverses__basis", "total")
        .order_by()
    ):
        where = _counted_as(kind, basis, reversed_kind, reversed_basis)
        sums[where] = sums.get(where, ZERO) + total
    return PeriodMoney(
        charged=balance([sums["charged"]]) if "charged" in sums else None,
        paid=balance([-sums.get("paid", ZERO)]),
    )


@dataclass
class InvoiceLineRow:
    entry: Entry
    reversed: bool
    open: Decimal


@dataclass
class InvoiceView:
    """An invoice with its lines: each charge, whether it was reversed, what it still owes;
    the invoice's total (reversed lines count 0) and what is open of it."""

    invoice: Invoice
    lines: list[InvoiceLineRow]
    total: Decimal
    open: Decimal


def invoice_views(invoices: Sequence[Invoice]) -> list[InvoiceView]:
    """The lines, totals and open amounts of ``invoices``: three queries for any number."""
    entries = list(
        Entry.objects.filter(invoice_line__invoice__in=[i.pk for i in invoices])
        .select_related("service", "tier", "staff__user", "invoice_line")
        .order_by("posted_at", "id")
    )
    owed = open_amounts(entries)
    reversed_ids = set(
        Entry.objects.filter(reverses_id__in=[e.pk for e in entries]).values_list(
            "reverses_id", flat=True
        )
    )
    by_invoice: dict[int, list[InvoiceLineRow]] = defaultdict(list)
    for entry in entries:
        by_invoice[entry.invoice_line.invoice_id].append(
            InvoiceLineRow(entry, entry.pk in reversed_ids, owed[entry.pk])
        )
    views = []
    for invoice in invoices:
        lines = by_invoice.get(invoice.pk, [])
        views.append(
            InvoiceView(
                invoice,
                lines,
                balance(line.entry.delta for line in lines if not line.reversed),
                balance(line.open for line in lines),
            )
        )
    return views


def client_invoices(client: Client) -> list[InvoiceView]:
    invoices = list(
        Invoice.objects.filter(client_id=client.pk)
        .select_related("issued_by__user")
        .order_by("-number")
    )
    return invoice_views(invoices)


def uninvoiced_charges(client: Client) -> int:
    return Entry.objects.filter(
        client_id=client.pk, kind=Kind.CHARGE, invoice_line__isnull=True
    ).count()


def client_statement(client: Client, start: dt.datetime, end: dt.datetime) -> Statement:
    """One client's statement for [start, end) (``statements`` for one client)."""
    found = statements(client.clinic_id, start, end, client_ids=[client.pk])
    return found.get(client.pk) or Statement(client.pk, ZERO, [], ZERO)
