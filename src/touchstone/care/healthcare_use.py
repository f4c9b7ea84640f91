"""Self-reported health-care use during care (the intake holds the six months before care).

A client reports, at a visit or a review, how many emergency-department and primary-care
visits they had over the last ``months`` months. The payer report compares the monthly rate
before care (``Intake.ed_visits_6m`` / 6) with the rate during care (sum of visits / sum of
months reported). Kept in its own module (imported by ``care.models``) so the reports work
can add it without touching the rest of care; recorded through
``reports.actions.do_record_healthcare_use``.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from touchstone.accounts.access import ClinicOwned
from touchstone.accounts.models import StaffMember
from touchstone.clients.models import Client


class HealthcareUse(ClinicOwned):
    """Emergency and primary-care visits a client reports for the last ``months`` months."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="healthcare_use")
    reported_on = models.DateField(default=timezone.localdate)
    months = models.PositiveSmallIntegerField(
        "Months covered",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="The period the counts cover, ending on the report date.",
    )
    ed_visits = models.PositiveSmallIntegerField("Emergency-department visits", default=0)
    primary_care_visits = models.PositiveSmallIntegerField("Primary-care visits", default=0)
    recorded_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["-reported_on", "-id"]

    def __str__(self) -> str:
        return f"Health-care use reported {self.reported_on:%Y-%m-%d}"

    def clean(self) -> None:
        if self.reported_on and self.reported_on > timezone.localdate():
            raise ValidationError({"reported_on": "A report date cannot be in the future."})


HEALTHCARE_USE_FIELDS = ["reported_on", "months", "ed_visits", "primary_care_visits"]
