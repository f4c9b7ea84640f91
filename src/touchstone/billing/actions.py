"""Every write of money goes through these functions, with an explicit ``Actor`` first:
validated, written in one transaction with its audit event (``audit.writes``). A refused
posting (``LedgerError``, Django's ``ValidationError``) writes nothing.

Ledger rules (docs/billing.md): amounts are positive ``Decimal`` cents and the kind gives
the sign (``science.ledger``); nothing is changed or deleted, a correction is a reversing
entry; a payment is allocated to open charge lines, oldest first, and never beyond them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.models import Action
from touchstone.billing.models import (
    ASSESSMENT_FIELDS,
    FEE_FIELDS,
    PLAN_FIELDS,
    TIER_FIELDS,
    Allocation,
    Basis,
    BillingPolicy,
    ClientPackage,
    CommunitySlot,
    Entry,
    Fee,
    FeeTier,
    Invoice,
    InvoiceLine,
    Kind,
    Method,
    PackageDraw,
    PackagePlan,
    TierAssessment,
    fee_on,
)
from touchstone.billing.selectors import (
    current_assessment,
    open_amounts,
    package_left,
    refunded,
    usable_package,
)
from touchstone.clients.models import Client
from touchstone.scheduling.actions import do_book_appointment
from touchstone.scheduling.models import Appointment, Status
from touchstone.science import fees as fee_rules
from touchstone.science.billing import cms_timed_units
from touchstone.science.ledger import (
    LedgerError,
    check_allocations,
    check_refund,
    money,
    signed,
)


def _staff(actor: Actor) -> Any:
    return actor.member


def _by_whom(actor: Actor) -> Any:
    """The staff member an assessment or a sale must name (not a command or a job)."""
    if actor.member is None:
        raise LedgerError("A member of staff records this: it says who assessed or sold.")
    return actor.member


def _post(actor: Actor, entry: Entry, detail: str = "") -> Entry:
    entry.full_clean(exclude=["clinic", "client"])
    return writes.save(actor, entry, Action.CREATE, detail=detail)


# Fee schedule, tiers, policy --------------------------------------------------------------


def do_set_fee(actor: Actor, data: dict[str, Any]) -> Fee:
    """A new row of the fee schedule: the service's fee from ``effective_from`` on."""
    return writes.create(actor, Fee(clinic=actor.clinic), data, fields=FEE_FIELDS)


def do_create_tier(actor: Actor, data: dict[str, Any]) -> FeeTier:
    with transaction.atomic():
        tier = writes.create(actor, FeeTier(clinic=actor.clinic), data, fields=TIER_FIELDS)
        _check_clinic_tiers(actor)
    return tier


def do_update_tier(actor: Actor, tier: FeeTier, data: dict[str, Any]) -> list[str]:
    with transaction.atomic():
        changed = writes.update(actor, tier, data, fields=TIER_FIELDS)
        _check_clinic_tiers(actor)
    return changed


def _check_clinic_tiers(actor: Actor) -> None:
    try:
        fee_rules.check_tiers(clinic_tiers(actor.clinic))
    except fee_rules.FeeError as error:
        raise ValidationError({"up_to_percent": str(error)}) from None


def clinic_tiers(clinic: Any) -> list[fee_rules.Tier]:
    return [
        fee_rules.Tier(t.name, t.up_to_percent, t.fee_percent)
        for t in FeeTier.objects.filter(clinic=clinic)
    ]


def do_install_default_tiers(actor: Actor) -> list[FeeTier]:
    """The shipped default tiers (``science/data/hhs_poverty_guidelines.json``) for a clinic
    that has none yet."""
    if FeeTier.objects.filter(clinic=actor.clinic).exists():
        raise ValidationError("This clinic already has tiers; edit them instead.")
    return [
        writes.create(
            actor,
            FeeTier(clinic=actor.clinic),
            {"name": t.name, "up_to_percent": t.up_to_percent, "fee_percent": t.fee_percent},
            fields=TIER_FIELDS,
        )
        for t in fee_rules.guidelines().default_tiers
    ]


def do_save_billing_policy(actor: Actor, data: dict[str, Any]) -> BillingPolicy:
    policy = BillingPolicy.objects.filter(clinic=actor.clinic).first()
    fields = ["no_show_fee", "late_cancel_fee"]
    if policy is None:
        return writes.create(actor, BillingPolicy(clinic=actor.clinic), data, fields=fields)
    writes.update(actor, policy, data, fields=fields)
    return policy


# Tier assessment ---------------------------------------------------------------------------


def do_assess_tier(actor: Actor, client: Client, data: dict[str, Any]) -> TierAssessment:
    """Place the client's household on the clinic's sliding scale: the percent of the HHS
    poverty guideline of its region and year, and the tier that percent falls in."""
    tiers = list(FeeTier.objects.filter(clinic=actor.clinic))
    if not tiers:
        raise ValidationError("The clinic has no fee tiers yet: the owner sets them first.")
    try:
        guideline = fee_rules.guidelines().guideline(data.get("region") or "contiguous")
        percent = fee_rules.percent_of_guideline(
            Decimal(data["annual_income"]), int(data["household_size"]), guideline
        )
    except fee_rules.FeeError as error:
        raise ValidationError({"region": str(error)}) from None
    chosen = fee_rules.choose_tier(
        percent, [fee_rules.Tier(t.name, t.up_to_percent, t.fee_percent) for t in tiers]
    )
    assessment = TierAssessment(
        clinic=actor.clinic,
        client=client,
        assessed_by=_by_whom(actor),
        guideline_year=guideline.year,
        percent_of_guideline=percent,
        tier=next(t for t in tiers if t.name == chosen.name),
    )
    return writes.create(actor, assessment, data, fields=ASSESSMENT_FIELDS)


# Packages ----------------------------------------------------------------------------------


def do_create_plan(actor: Actor, data: dict[str, Any]) -> PackagePlan:
    return writes.create(actor, PackagePlan(clinic=actor.clinic), data, fields=PLAN_FIELDS)


def do_sell_package(actor: Actor, client: Client, plan: PackagePlan) -> ClientPackage:
    """Sell ``plan`` to ``client``: the package and its charge line, together."""
    if plan.clinic_id != client.clinic_id or not plan.is_active:
        raise LedgerError("This package is not on sale.")
    today = timezone.localdate()
    with transaction.atomic():
        package = writes.save(
            actor,
            ClientPackage(
                clinic=client.clinic,
                client=client,
                plan=plan,
                visits=plan.visits,
                price=plan.price,
                purchased_on=today,
                expires_on=today + dt.timedelta(days=plan.valid_days),
                sold_by=_by_whom(actor),
            ),
            Action.CREATE,
        )
        if plan.price > 0:
            _post(
                actor,
                Entry(
                    clinic=client.clinic,
                    client=client,
                    kind=Kind.CHARGE,
                    delta=signed("charge", plan.price),
                    posted_by=_staff(actor),
                    basis=Basis.PACKAGE_SALE,
                    package=package,
                    description=f"Package: {plan.name}",
                ),
                detail="package sale",
            )
    return package


def check_package(package: ClientPackage, appointment: Appointment) -> None:
    """Refuse a draw from an expired, empty or unsuitable package, saying which."""
    day = timezone.localdate(appointment.starts_at)
    if package.client_id != appointment.client_id:
        raise LedgerError("This package belongs to another client.")
    if day > package.expires_on:
        raise LedgerError(f"This package expired on {package.expires_on:%Y-%m-%d}.")
    if package_left(package) <= 0:
        raise LedgerError("This package has no visits left.")
    if package.plan.service_id and package.plan.service_id != appointment.service_id:
        raise LedgerError(f"This package is for {package.plan.service}, not this service.")


# Community slots --------------------------------------------------------------------------


def do_set_aside_slot(actor: Actor, data: dict[str, Any]) -> CommunitySlot:
    """Set aside a staff member's time for clients of a tier (pro bono at a 0 % tier)."""
    return writes.create(
        actor,
        CommunitySlot(clinic=actor.clinic),
        data,
        fields=["staff", "starts_at", "ends_at", "tier"],
    )


def do_book_community_slot(
    actor: Actor, slot: CommunitySlot, client: Client, service: Any
) -> Appointment:
    """Book ``client`` into the slot (the scheduling rules apply: hours, no double booking);
    the appointment is charged at the slot's tier whatever the client's own."""
    if slot.appointment_id is not None:
        raise LedgerError("This community slot is already booked.")
    if slot.starts_at + service.duration > slot.ends_at:
        raise LedgerError("The service is longer than the community slot.")
    with transaction.atomic():
        appointment = do_book_appointment(
            actor,
            {
                "client": client,
                "staff": slot.staff,
                "service": service,
                "starts_at": slot.starts_at,
            },
            override_reason="Community slot",
        )
        slot.appointment = appointment
        writes.save(actor, slot, Action.UPDATE, update_fields=["appointment"], detail="booked")
    return appointment


# Charges -----------------------------------------------------------------------------------


def _charged(appointment: Appointment) -> bool:
    """Whether the appointment has a charge that is not reversed."""
    return Entry.objects.filter(
        appointment=appointment, kind=Kind.CHARGE, reversed_by__isnull=True
    ).exists()


def do_charge_appointment(
    actor: Actor, appointment: Appointment, package: ClientPackage | None = None
) -> Entry | None:
    """The charge line of a completed, missed or late-cancelled appointment at the client's
    fee: drawn from ``package`` (or the client's usable package), else the community slot's
    or the client's current tier, else the full fee; a no-show or late cancellation costs
    the fee of the clinic's billing policy (none: no charge). Returns None when nothing is
    owed or the fee schedule has no fee for the service on that day (the appointment then
    shows as not charged). Refuses a second charge of the same appointment."""
    if _charged(appointment):
        raise LedgerError("This appointment is already charged.")
    status = appointment.status
    if status in (Status.NO_SHOW, Status.LATE_CANCELLED):
        return _missed_fee(actor, appointment)
    if status != Status.COMPLETED:
        raise LedgerError("Only a completed, missed or late-cancelled appointment is charged.")
    day = timezone.localdate(appointment.starts_at)
    service = appointment.service
    units = cms_timed_units(appointment.duration_min) if service.billing_code else None
    entry = Entry(
        clinic=appointment.clinic,
        client=appointment.client,
        kind=Kind.CHARGE,
        posted_by=_staff(actor),
        appointment=appointment,
        service=service,
        billing_code=service.billing_code,
        units=units,
        staff=appointment.staff,
        description=service.name,
    )
    package = package or usable_package(appointment)
    with transaction.atomic():
        if package is not None:
            check_package(package, appointment)
            PackageDraw.objects.create(
                clinic=appointment.clinic, package=package, appointment=appointment
            )
            entry.basis, entry.package, entry.delta = Basis.PACKAGE, package, Decimal("0.00")
            return _post(actor, entry, detail=f"drawn from package {package.pk}")
        fee = fee_on(service, day)
        if fee is None:
            return None
        entry.full_fee = fee.amount
        tier = _tier_for(appointment, day)
        if tier is None or tier.fee_percent == 100:
            entry.basis, entry.delta = Basis.FULL, fee.amount
        else:
            entry.basis, entry.tier = Basis.TIER, tier
            entry.delta = fee_rules.tier_fee(fee.amount, tier.fee_percent)
        return _post(actor, entry, detail=f"charge {entry.basis}")


def _tier_for(appointment: Appointment, day: dt.date) -> FeeTier | None:
    slot = CommunitySlot.objects.filter(appointment=appointment).select_related("tier").first()
    if slot is not None:
        return slot.tier
    assessment = current_assessment(appointment.client)
    if assessment is None or assessment.review_on < day:
        return None
    return assessment.tier


def _missed_fee(actor: Actor, appointment: Appointment) -> Entry | None:
    policy = BillingPolicy.objects.filter(clinic_id=appointment.clinic_id).first()
    no_show = appointment.status == Status.NO_SHOW
    amount = None if policy is None else (policy.no_show_fee if no_show else policy.late_cancel_fee)
    if not amount:
        return None
    return _post(
        actor,
        Entry(
            clinic=appointment.clinic,
            client=appointment.client,
            kind=Kind.CHARGE,
            delta=signed("charge", amount),
            posted_by=_staff(actor),
            appointment=appointment,
            service=appointment.service,
            staff=appointment.staff,
            basis=Basis.NO_SHOW if no_show else Basis.LATE_CANCEL,
            description="No-show fee" if no_show else "Late-cancellation fee",
        ),
        detail="no-show fee" if no_show else "late-cancellation fee",
    )


# Payments, refunds, reversals -----------------------------------------------------------


def do_record_payment(
    actor: Actor,
    client: Client,
    amount: Any,
    method: str,
    reference: str = "",
    allocations: list[tuple[Entry, Any]] | None = None,
) -> Entry:
    """Record money received (not processed: the card terminal or bank did that). Allocated
    to the given charge lines, or to the open ones oldest first; what is left stays on the
    account as credit. An allocation beyond a line or the payment is refused."""
    amount = money(amount, "The payment")
    if method not in Method.values:
        raise LedgerError(f"Unknown payment method {method!r}.")
    with transaction.atomic():
        charges = (
            [charge for charge, _ in allocations]
            if allocations is not None
            else list(
                Entry.objects.filter(client=client, kind=Kind.CHARGE, delta__gt=0).order_by(
                    "posted_at", "id"
                )
            )
        )
        if any(c.client_id != client.pk or c.kind != Kind.CHARGE for c in charges):
            raise LedgerError("A payment is allocated to this client's charge lines only.")
        owed = open_amounts(charges)
        if allocations is not None:
            amounts = check_allocations(amount, [(a, owed[c.pk]) for c, a in allocations])
        else:
            amounts, left = [], amount
            for charge in charges:
                part = min(left, owed[charge.pk])
                amounts.append(part)
                left -= part
        payment = _post(
            actor,
            Entry(
                clinic=client.clinic,
                client=client,
                kind=Kind.PAYMENT,
                delta=signed("payment", amount),
                posted_by=_staff(actor),
                method=method,
                reference=reference,
                description=Method(method).label,
            ),
            detail=f"payment {method}",
        )
        Allocation.objects.bulk_create(
            Allocation(clinic=client.clinic, payment=payment, charge=charge, amount=part)
            for charge, part in zip(charges, amounts, strict=True)
            if part > 0
        )
    return payment


def do_refund(actor: Actor, payment: Entry, amount: Any, reason: str = "") -> Entry:
    """Give back part or all of a payment: never more than is left of it."""
    if payment.kind != Kind.PAYMENT:
        raise LedgerError("Only a payment can be refunded.")
    if hasattr(payment, "reversed_by"):
        raise LedgerError("This payment was reversed; there is nothing to refund.")
    with transaction.atomic():
        amount = check_refund(payment.amount, refunded(payment), amount)
        return _post(
            actor,
            Entry(
                clinic=payment.clinic,
                client=payment.client,
                kind=Kind.REFUND,
                delta=signed("refund", amount),
                posted_by=_staff(actor),
                method=payment.method,
                refund_of=payment,
                reason=reason,
                description="Refund",
            ),
            detail=f"refund of entry {payment.pk}",
        )


def do_reverse(actor: Actor, entry: Entry, reason: str) -> Entry:
    """Cancel ``entry`` with an entry of the opposite amount (and give back a package visit
    its charge drew). A reversal cannot be reversed, nor an entry twice."""
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError("Say why the entry is reversed.")
    if entry.kind == Kind.REVERSAL:
        raise LedgerError("A reversal cannot be reversed; post the entry again instead.")
    if Entry.objects.filter(reverses=entry).exists():
        raise LedgerError("This entry is already reversed.")
    if entry.kind == Kind.PAYMENT and refunded(entry) > 0:
        raise LedgerError("Part of this payment was refunded: reverse the refunds first.")
    with transaction.atomic():
        if entry.basis == Basis.PACKAGE and entry.package_id and entry.appointment_id:
            PackageDraw.objects.create(
                clinic=entry.clinic,
                package_id=entry.package_id,
                appointment_id=entry.appointment_id,
                visits=-1,
            )
        return _post(
            actor,
            Entry(
                clinic=entry.clinic,
                client=entry.client,
                kind=Kind.REVERSAL,
                delta=-entry.delta,
                posted_by=_staff(actor),
                reverses=entry,
                reason=reason,
                description=f"Reversal of {entry.get_kind_display().lower()}",
            ),
            detail=f"reversal of entry {entry.pk}",
        )


# Invoices ----------------------------------------------------------------------------------


def do_issue_invoice(actor: Actor, client: Client) -> Invoice:
    """An invoice of the client's charge lines that no invoice holds yet."""
    with transaction.atomic():
        lines = list(
            Entry.objects.filter(
                client=client, kind=Kind.CHARGE, invoice_line__isnull=True
            ).order_by("posted_at", "id")
        )
        if not lines:
            raise LedgerError("Every charge of this client is already on an invoice.")
        last = Invoice.objects.filter(clinic=client.clinic).aggregate(n=Max("number"))["n"]
        invoice = writes.save(
            actor,
            Invoice(
                clinic=client.clinic,
                client=client,
                number=(last or 0) + 1,
                issued_by=_by_whom(actor),
            ),
            Action.CREATE,
            detail=f"{len(lines)} lines",
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(clinic=client.clinic, invoice=invoice, entry=line) for line in lines
        )
    return invoice


def invoice_total(invoice: Invoice) -> Decimal:
    total = Entry.objects.filter(invoice_line__invoice=invoice).aggregate(s=Sum("delta"))["s"]
    reversed_ = Entry.objects.filter(reverses__invoice_line__invoice=invoice).aggregate(
        s=Sum("delta")
    )["s"]
    return (total or Decimal(0)) + (reversed_ or Decimal(0))
