"""Insurance: payers, clients' coverage, the numbers a provider bills under, claims (one per
client, coverage and rendering provider, its lines the ledger's charge lines), the 837P files
they went out in, and the 835 remittances that answered them.

Coverage, payers, provider numbers and the clinic's claim settings are versioned
(django-simple-history) like other client data; claims keep the history of their status.
Claim lines are written once with their claim and never changed. The code sets (NPI, EIN,
taxonomy, ICD-10-CM) are checked by ``claims.codes``, the files built and read by
``claims.x837`` and ``claims.x835`` (no Django); every write goes through ``claims.actions``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from touchstone.accounts.access import ClinicOwned
from touchstone.accounts.models import StaffMember
from touchstone.billing.models import Entry
from touchstone.care.models import Visit
from touchstone.claims import codes
from touchstone.clients.models import Client

#: US state and territory codes a claim address may carry (USPS).
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI"
)
STATES = frozenset(_STATE_CODES.split())
ZIP_RE = re.compile(r"^\d{5}(\d{4})?$")
ZIP9_RE = re.compile(r"^\d{9}$")
X12_ID_RE = re.compile(r"^[A-Za-z0-9]{2,15}$")


def _address_errors(state: str, zip_code: str, *, zip9: bool = False) -> dict[str, str]:
    errors = {}
    if state and state.upper() not in STATES:
        errors["state"] = "Two-letter state code, e.g. IL."
    if zip_code and not (ZIP9_RE if zip9 else ZIP_RE).match(zip_code):
        errors["zip_code"] = (
            "ZIP+4 as nine digits (837P billing provider), e.g. 627011234."
            if zip9
            else "Five or nine digits, e.g. 62701 or 627011234."
        )
    return errors


class FilingIndicator(models.TextChoices):
    """SBR09 claim filing indicator codes (837P 5010)."""

    COMMERCIAL = "CI", "Commercial insurance"
    BLUE_CROSS = "BL", "Blue Cross / Blue Shield"
    MEDICARE_B = "MB", "Medicare Part B"
    MEDICAID = "MC", "Medicaid"
    WORKERS_COMP = "WC", "Workers' compensation"
    OTHER_NON_FEDERAL = "11", "Other non-federal programme"


class Payer(ClinicOwned):
    """An insurer the clinic bills: its name and electronic payer id (NM1*PR, CMS-1500 top)."""

    name = models.CharField(max_length=60)
    payer_id = models.CharField(
        "Payer ID", max_length=15, help_text="The payer's electronic id at your clearinghouse."
    )
    filing_indicator = models.CharField(
        max_length=2, choices=FilingIndicator.choices, default=FilingIndicator.COMMERCIAL
    )
    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["name", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "payer_id"], name="claims_payer_id")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.payer_id and not X12_ID_RE.match(self.payer_id):
            raise ValidationError({"payer_id": "2 to 15 letters or digits."})


PAYER_FIELDS = ["name", "payer_id", "filing_indicator"]


class Relationship(models.TextChoices):
    SELF = "self", "Self"
    SPOUSE = "spouse", "Spouse"
    CHILD = "child", "Child"
    OTHER = "other", "Other"


class Priority(models.TextChoices):
    PRIMARY = "P", "Primary"
    SECONDARY = "S", "Secondary"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class Coverage(ClinicOwned):
    """A client's insurance: payer and plan, member and group numbers, the subscriber and the
    client's relationship to them, primary or secondary, when it is valid, and the prior
    authorisation some payers require (its number and how many visits it allows). The
    address is the subscriber's as the payer has it (the patient's too on claims). No
    clinical data: the front desk keeps it."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    plan_name = models.CharField("Plan", max_length=60, blank=True)
    member_id = models.CharField("Member ID", max_length=30, blank=True)
    group_number = models.CharField(max_length=30, blank=True)
    priority = models.CharField(max_length=1, choices=Priority.choices, default=Priority.PRIMARY)
    relationship = models.CharField(
        "Client's relationship to the subscriber",
        max_length=6,
        choices=Relationship.choices,
        default=Relationship.SELF,
    )
    subscriber_given_name = models.CharField(
        max_length=100, blank=True, help_text="Blank when the client is the subscriber."
    )
    subscriber_family_name = models.CharField(max_length=100, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    street = models.CharField(max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField("ZIP code", max_length=9, blank=True)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    prior_authorization = models.CharField("Prior authorisation number", max_length=50, blank=True)
    authorized_visits = models.PositiveSmallIntegerField(
        "Visits authorised", null=True, blank=True, validators=[MaxValueValidator(999)]
    )
    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["priority", "-valid_from", "-id"]
        verbose_name_plural = "coverages"

    def __str__(self) -> str:
        return f"{self.payer.name} ({self.get_priority_display()})"

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def clean(self) -> None:
        errors = _address_errors(self.state, self.zip_code)
        self.state = (self.state or "").upper()
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            errors["valid_until"] = "The end must be on or after the start."
        if self.payer_id and self.client_id and self.payer.clinic_id != self.client.clinic_id:
            errors["payer"] = "Choose a payer of this clinic."
        if self.relationship != Relationship.SELF and not (
            self.subscriber_family_name and self.subscriber_given_name
        ):
            errors["subscriber_family_name"] = (
                "Name the subscriber when the client is not the subscriber."
            )
        if errors:
            raise ValidationError(errors)


COVERAGE_FIELDS = [
    "payer",
    "plan_name",
    "member_id",
    "group_number",
    "priority",
    "relationship",
    "subscriber_given_name",
    "subscriber_family_name",
    "subscriber_date_of_birth",
    "subscriber_sex",
    "street",
    "city",
    "state",
    "zip_code",
    "valid_from",
    "valid_until",
    "prior_authorization",
    "authorized_visits",
]


class ProviderNumbers(ClinicOwned):
    """What a staff member who bills is billed under: their own (type 1) NPI, NUCC taxonomy
    code and state licence. Massage therapists bill under their own NPI too."""

    staff = models.OneToOneField(StaffMember, on_delete=models.PROTECT, related_name="+")
    npi = models.CharField("NPI", max_length=10)
    taxonomy = models.CharField(
        "Taxonomy code",
        max_length=10,
        default=codes.MASSAGE_THERAPIST_TAXONOMY,
        help_text="NUCC code, e.g. 225700000X (massage therapist).",
    )
    licence = models.CharField("Licence number", max_length=40, blank=True)
    licence_state = models.CharField(max_length=2, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "provider numbers"

    def __str__(self) -> str:
        return f"NPI {self.npi}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.npi = (self.npi or "").strip()
        problem = codes.npi_problem(self.npi)
        if problem:
            errors["npi"] = problem
        problem = codes.taxonomy_problem(self.taxonomy or "")
        if problem:
            errors["taxonomy"] = problem
        self.licence_state = (self.licence_state or "").upper()
        if self.licence_state and self.licence_state not in STATES:
            errors["licence_state"] = "Two-letter state code, e.g. IL."
        if self.staff_id and self.staff.clinic_id != self.clinic_id:
            errors["staff"] = "Choose a member of staff of this clinic."
        if errors:
            raise ValidationError(errors)


PROVIDER_FIELDS = ["staff", "npi", "taxonomy", "licence", "licence_state"]


class ClaimSettings(ClinicOwned):
    """The clinic as a billing provider on claims (its NPI and EIN are the clinic's own
    settings) and as a submitter to its clearinghouse: ids, address split as X12 wants it."""

    submitter_id = models.CharField(
        "Submitter ID", max_length=15, help_text="Your id at the clearinghouse (ETIN)."
    )
    receiver_id = models.CharField("Receiver ID", max_length=15)
    receiver_name = models.CharField("Clearinghouse", max_length=60)
    contact_name = models.CharField(max_length=60)
    contact_phone = models.CharField(max_length=10, help_text="Ten digits.")
    taxonomy = models.CharField("Billing taxonomy code", max_length=10, blank=True)
    street = models.CharField(max_length=55)
    city = models.CharField(max_length=30)
    state = models.CharField(max_length=2)
    zip_code = models.CharField("ZIP+4", max_length=9)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "claim settings"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic"], name="claims_settings_per_clinic")
        ]

    def __str__(self) -> str:
        return f"Claim settings of clinic {self.clinic_id}"

    def clean(self) -> None:
        errors = _address_errors(self.state, self.zip_code, zip9=True)
        self.state = (self.state or "").upper()
        for name in ("submitter_id", "receiver_id"):
            if getattr(self, name) and not X12_ID_RE.match(getattr(self, name)):
                errors[name] = "2 to 15 letters or digits."
        if self.contact_phone and not re.fullmatch(r"\d{10}", self.contact_phone):
            errors["contact_phone"] = "Ten digits, e.g. 2175550100."
        if self.taxonomy and codes.taxonomy_problem(self.taxonomy):
            errors["taxonomy"] = str(codes.taxonomy_problem(self.taxonomy))
        if errors:
            raise ValidationError(errors)


SETTINGS_FIELDS = [
    "submitter_id",
    "receiver_id",
    "receiver_name",
    "contact_name",
    "contact_phone",
    "taxonomy",
    "street",
    "city",
    "state",
    "zip_code",
]


class ClaimStatus(models.TextChoices):
    CREATED = "created", "Created"
    SUBMITTED = "submitted", "Submitted"
    PAID = "paid", "Paid"
    PARTLY_PAID = "partly_paid", "Partly paid"
    DENIED = "denied", "Denied"


class Claim(ClinicOwned):
    """A bill to a payer for one client's visits with one rendering provider under one
    coverage. ``number`` is its control number (CLM01 in the 837P, box 26 of the CMS-1500)
    and what an 835 answers with. Diagnoses are copied at creation (ICD-10-CM codes, the
    first the principal one); its lines are the ledger's charge lines."""

    number = models.PositiveIntegerField()
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="claims")
    rendering = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    diagnoses = models.JSONField(default=list)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(
        max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.CREATED
    )
    denial_reason = models.CharField(max_length=200, blank=True)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "number"], name="claims_claim_number")
        ]

    def __str__(self) -> str:
        return f"Claim {self.control_number}"

    @property
    def control_number(self) -> str:
        return f"TS{self.clinic_id}-{self.number}"


class ClaimLine(ClinicOwned):
    """One service line: the ledger charge it bills (at most one line per charge), its day,
    code, units (CMS 8-minute rule), amount and diagnosis pointers (1-4 of 1-12)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    charge = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="claim_line")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    code = models.CharField(max_length=5)
    units = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    pointers = models.CharField(max_length=7, help_text="e.g. 1:2")

    class Meta:
        ordering: ClassVar = ["claim_id", "position"]

    @property
    def control_number(self) -> str:
        """REF*6R: the line item control number an 835 names the line with."""
        return f"{self.claim.control_number}-{self.position}"


class Submission(ClinicOwned):
    """An 837P file sent for some claims: its interchange control number and the file."""

    number = models.PositiveIntegerField()
    claims = models.ManyToManyField(Claim, related_name="submissions")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content = models.TextField()

    class Meta:
        ordering: ClassVar = ["-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "number"], name="claims_submission_number")
        ]

    def __str__(self) -> str:
        return f"837P file {self.number}"


class Remittance(ClinicOwned):
    """An imported 835: the payer's payment (trace number, total, date) and the file. A trace
    number is imported once per payer."""

    payer_name = models.CharField(max_length=60)
    trace_number = models.CharField(max_length=50)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    paid_on = models.DateField(null=True, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content = models.TextField()

    class Meta:
        ordering: ClassVar = ["-imported_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["clinic", "payer_name", "trace_number"], name="claims_remittance_trace"
            )
        ]

    def __str__(self) -> str:
        return f"Remittance {self.trace_number}"


class ClaimRemittance(ClinicOwned):
    """What a remittance said about one claim, and the ledger entries it posted: the
    insurance payment and the write-off of contractual adjustments (CO, PI), each allocated
    to the claim's charge lines. Patient responsibility (PR) stays on the client's account."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="claims")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="remittances")
    status = models.CharField(max_length=3)
    status_label = models.CharField(max_length=80)
    paid = models.DecimalField(max_digits=10, decimal_places=2)
    written_off = models.DecimalField(max_digits=10, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=10, decimal_places=2)
    adjustments = models.JSONField(default=list)
    payment = models.ForeignKey(
        Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    write_off = models.ForeignKey(
        Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["remittance_id", "claim_id"]
