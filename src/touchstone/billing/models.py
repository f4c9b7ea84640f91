"""Money: the fee schedule, sliding-scale tiers and clients' tier assessments, prepaid
packages, community slots, and the ledger (charges, payments, refunds, reversals, their
allocations, invoices).

The schedule, tiers, assessments and packages are versioned (django-simple-history) like other
client data. The ledger is append-only: ``Entry``, ``Allocation``, ``PackageDraw`` and
``InvoiceLine`` refuse updates and deletes in the model and queryset, and on PostgreSQL the
database refuses them too (triggers, migration 0002; the app's role is granted only INSERT
and SELECT on them, ``audit.privileges``). A correction is a reversing
entry. The arithmetic (signs, balances, refusals) is ``science.ledger``; the fee rules
``science.fees``; every write goes through ``billing.actions``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from touchstone.accounts.access import ClinicOwned, ClinicOwnedQuerySet
from touchstone.accounts.models import StaffMember
from touchstone.clients.models import Client
from touchstone.scheduling.models import Appointment, Service

#: The append-only tables (their triggers: migration 0002; their grants: audit.privileges).
LEDGER_TABLES = (
    "billing_entry",
    "billing_allocation",
    "billing_packagedraw",
    "billing_invoiceline",
)


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or remove a ledger row: post a reversal instead."""


class AppendOnlyQuerySet(ClinicOwnedQuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("ledger rows cannot be changed; post a reversing entry")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("ledger rows cannot be deleted; post a reversing entry")


class AppendOnly(ClinicOwned):
    objects = AppendOnlyQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("ledger rows cannot be changed; post a reversing entry")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("ledger rows cannot be deleted; post a reversing entry")


# Fees and tiers --------------------------------------------------------------------------


class Fee(ClinicOwned):
    """The full fee of a service from ``effective_from`` on (until the next row of the same
    service): the fee schedule, with its history. The one source of a service's price."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="fees")
    amount = models.DecimalField(
        "Fee",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="e.g. 95.00",
    )
    effective_from = models.DateField("Effective from")
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["service_id", "-effective_from"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["service", "effective_from"], name="billing_fee_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} from {self.effective_from:%Y-%m-%d}"

    def clean(self) -> None:
        if self.service_id and self.service.clinic_id != self.clinic_id:
            raise ValidationError({"service": "Choose a service of this clinic."})


FEE_FIELDS = ["service", "amount", "effective_from", "note"]


def fee_on(service: Service, day: dt.date) -> Fee | None:
    """The fee in force for ``service`` on ``day`` (None: the schedule has none yet)."""
    return (
        Fee.objects.filter(service_id=service.pk, effective_from__lte=day)
        .order_by("-effective_from")
        .first()
    )


class FeeTier(ClinicOwned):
    """A sliding-scale tier: households up to ``up_to_percent`` of the HHS poverty guideline
    (blank: no upper bound, the full-fee tier) pay ``fee_percent`` of the full fee."""

    name = models.CharField(max_length=60)
    up_to_percent = models.DecimalField(
        "Up to (% of poverty guideline)",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Blank for the highest tier.",
    )
    fee_percent = models.DecimalField(
        "Pays (% of the full fee)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = [models.F("up_to_percent").asc(nulls_last=True), "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "name"], name="billing_tier_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.fee_percent.normalize():f}% of the fee)"


TIER_FIELDS = ["name", "up_to_percent", "fee_percent"]


class BillingPolicy(ClinicOwned):
    """The clinic's fees for a missed appointment (blank: no fee). One per clinic."""

    no_show_fee = models.DecimalField(
        "No-show fee",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    late_cancel_fee = models.DecimalField(
        "Late-cancellation fee",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Later than the booking policy's cancellation notice.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "billing policies"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic"], name="billing_policy_per_clinic")
        ]

    def __str__(self) -> str:
        return f"Billing policy of clinic {self.clinic_id}"


class Region(models.TextChoices):
    CONTIGUOUS = "contiguous", "48 contiguous states and DC"
    ALASKA = "alaska", "Alaska"
    HAWAII = "hawaii", "Hawaii"


class Verification(models.TextChoices):
    DOCUMENT = "document", "Document seen"
    SELF_ATTESTED = "self_attested", "Self-attested"


class TierAssessment(ClinicOwned):
    """A client's household size and income on a date, how it was verified and by whom, the
    percent of the poverty guideline (with the guideline's year) and the tier it placed them
    in. The newest assessment counts; after ``review_on`` it is due again."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    household_size = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    annual_income = models.DecimalField(
        "Annual household income",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    region = models.CharField(max_length=12, choices=Region.choices, default=Region.CONTIGUOUS)
    verification = models.CharField(max_length=14, choices=Verification.choices)
    assessed_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField(default=timezone.localdate)
    review_on = models.DateField("Review by")
    guideline_year = models.PositiveSmallIntegerField()
    percent_of_guideline = models.DecimalField(max_digits=7, decimal_places=1)
    tier = models.ForeignKey(FeeTier, on_delete=models.PROTECT, related_name="assessments")

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-assessed_on", "-id"]
        indexes: ClassVar = [models.Index(fields=["client", "assessed_on"])]

    def __str__(self) -> str:
        return f"Tier assessment {self.assessed_on:%Y-%m-%d}"

    def is_due(self, today: dt.date | None = None) -> bool:
        return self.review_on < (today or timezone.localdate())

    def clean(self) -> None:
        if self.review_on and self.assessed_on and self.review_on <= self.assessed_on:
            raise ValidationError({"review_on": "The review date must be after the assessment."})


ASSESSMENT_FIELDS = [
    "household_size",
    "annual_income",
    "region",
    "verification",
    "assessed_on",
    "review_on",
]


# Packages ----------------------------------------------------------------------------------


class PackagePlan(ClinicOwned):
    """A prepaid bundle the clinic sells: ``visits`` visits of a service (any service if
    blank) for ``price``, valid ``valid_days`` days from the sale."""

    name = models.CharField(max_length=80)
    visits = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    valid_days = models.PositiveSmallIntegerField(
        "Valid for (days)", validators=[MinValueValidator(1), MaxValueValidator(1095)]
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["name", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "name"], name="billing_plan_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.visits} visits)"


PLAN_FIELDS = ["name", "visits", "price", "valid_days", "service", "is_active"]


class ClientPackage(ClinicOwned):
    """A package a client bought: its visits, price and expiry are copied from the plan at
    the sale. The balance is ``visits`` less the visits drawn from it."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(PackagePlan, on_delete=models.PROTECT, related_name="+")
    visits = models.PositiveSmallIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    purchased_on = models.DateField(default=timezone.localdate)
    expires_on = models.DateField()
    sold_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-purchased_on", "-id"]

    def __str__(self) -> str:
        return f"{self.plan.name} bought {self.purchased_on:%Y-%m-%d}"


class PackageDraw(AppendOnly):
    """A visit drawn from a package (``visits`` 1), or given back (-1) when the charge of that
    visit is reversed. Append-only: the package's balance is its visits less the sum."""

    package = models.ForeignKey(ClientPackage, on_delete=models.PROTECT, related_name="draws")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    visits = models.SmallIntegerField(default=1, help_text="1 drawn, -1 given back.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "id"]


# Community slots ---------------------------------------------------------------------------


class CommunitySlot(ClinicOwned):
    """Time the clinic sets aside for clients of a tier (pro bono at a 0% tier): a staff
    member's span, booked at most once; the appointment booked into it is ``appointment``."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    tier = models.ForeignKey(FeeTier, on_delete=models.PROTECT, related_name="slots")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.starts_at):%Y-%m-%d %H:%M} ({self.tier.name})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The end must be after the start."
        if self.staff_id and self.staff.clinic_id != self.clinic_id:
            errors["staff"] = "Choose a member of staff of this clinic."
        if self.tier_id and self.tier.clinic_id != self.clinic_id:
            errors["tier"] = "Choose a tier of this clinic."
        if errors:
            raise ValidationError(errors)


# The ledger --------------------------------------------------------------------------------


class Kind(models.TextChoices):
    CHARGE = "charge", "Charge"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    REVERSAL = "reversal", "Reversal"


class Basis(models.TextChoices):
    """Why a charge has the amount it has."""

    FULL = "full", "Full fee"
    TIER = "tier", "Sliding-scale tier"
    PACKAGE = "package", "Drawn from a package"
    PACKAGE_SALE = "package_sale", "Package sale"
    NO_SHOW = "no_show", "No-show fee"
    LATE_CANCEL = "late_cancel", "Late-cancellation fee"


class Method(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card terminal"
    CHECK = "check", "Check"
    BANK = "bank", "Bank transfer"
    INSURANCE = "insurance", "Insurance"
    WRITE_OFF = "write_off", "Write-off"


class Entry(AppendOnly):
    """One line of a client's account. ``delta`` is signed (what the client owes grows with a
    charge or a refund, shrinks with a payment; a reversal carries the opposite of the entry
    it reverses), so a balance is one SUM. A charge knows its appointment, service, billing
    code, units and rendering staff member (what a claim line needs); payments are allocated
    to charges (``Allocation``)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    delta = models.DecimalField(max_digits=10, decimal_places=2)
    posted_at = models.DateTimeField(default=timezone.now)
    posted_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(max_length=200, blank=True)
    # Charges.
    basis = models.CharField(max_length=14, choices=Basis.choices, blank=True)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    billing_code = models.CharField(max_length=5, blank=True)
    units = models.PositiveSmallIntegerField(null=True, blank=True)
    full_fee = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    tier = models.ForeignKey(
        FeeTier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    package = models.ForeignKey(
        ClientPackage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who gave the service (a charge).",
    )
    # Payments and refunds.
    method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    reference = models.CharField(
        max_length=60, blank=True, help_text="Check number, terminal receipt, transfer id."
    )
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    # Reversals.
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["posted_at", "id"]
        verbose_name_plural = "entries"
        indexes: ClassVar = [
            models.Index(fields=["clinic", "client"]),
            models.Index(fields=["appointment"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind="charge", delta__gte=0)
                | Q(kind="payment", delta__lt=0)
                | Q(kind="refund", delta__gt=0)
                | Q(kind="reversal", reverses__isnull=False),
                name="billing_entry_sign_by_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    @property
    def amount(self) -> Decimal:
        return abs(self.delta)


class Allocation(AppendOnly):
    """Part of a payment applied to a charge line (what an insurer's remittance will post)."""

    payment = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="allocations")
    charge = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="allocated")
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_allocation_positive")
        ]


class Invoice(ClinicOwned):
    """A bill to the client for charge lines not yet invoiced; numbered per clinic."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    issued_on = models.DateField(default=timezone.localdate)
    issued_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering: ClassVar = ["-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "number"], name="billing_invoice_number")
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number}"


class InvoiceLine(AppendOnly):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="invoice_line")


class AccessSummary(models.Model):
    """Per clinic: the access report's outcomes by tier (the one expensive part of the report:
    a reliable-change analysis per tier), stored with what they were computed from, so the
    page reads them instead of computing them (issue 14: 12.6 s at 10,000 clients). They are
    current while the clinic's clinical change counter (``outcomes.ClinicSummary.changes``:
    scores, visits, episodes, diagnoses, change criteria) and its tier assessments (their
    number, the newest id and the newest history id: new, edited or removed assessments) are
    as they were; ``billing.access_report`` tells and recomputes."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    outcomes = models.JSONField(help_text="Improvement per tier key and instrument.")
    changes = models.PositiveBigIntegerField(help_text="The clinic's change counter then.")
    assessments = models.JSONField(help_text="The tier assessments' stamp then.")
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0.0, help_text="How long the computation took.")

    def __str__(self) -> str:
        return f"access summary of clinic {self.clinic_id}"
