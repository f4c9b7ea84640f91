"""Questionnaire administrations, their scored responses, and risk alerts."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from touchstone.accounts.access import ClinicOwned, ClinicOwnedQuerySet
from touchstone.accounts.models import StaffMember
from touchstone.clients.models import Client


class Mode(models.TextChoices):
    CLINIC = "clinic", "In clinic, by staff"
    TABLET = "tablet", "In clinic, on a tablet"
    PORTAL = "portal", "Private link"
    API = "api", "API"
    IMPORT = "import", "Imported"


class Status(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class AdministrationQuerySet(ClinicOwnedQuerySet["Administration"]):
    def completed(self) -> AdministrationQuerySet:
        return self.filter(status=Status.COMPLETED)


class Administration(ClinicOwned):
    """One occasion of giving an instrument to a client, with its answers and score.

    The score fields are written only by ``actions.do_save_answers`` from the instrument
    engine's result; ``total`` is NULL whenever the total is not computable (never 0).
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="administrations")
    instrument_id = models.CharField(max_length=40)
    #: The definition's version and language when the administration started: what the client
    #: was shown (a later definition may change a stem or a scoring rule).
    instrument_version = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=20, default="en")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    answers = models.JSONField(default=dict, help_text="linkId → response value")
    total = models.IntegerField(null=True, blank=True)
    severity = models.CharField(max_length=60, blank=True)
    severity_index = models.SmallIntegerField(null=True, blank=True)
    computable = models.BooleanField(default=False)
    reason = models.CharField(max_length=300, blank=True)
    risk_flags = models.JSONField(default=list)
    result = models.JSONField(default=dict, help_text="The engine's full ScoreResult")
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()
    objects = AdministrationQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering: ClassVar = ["-started_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["clinic", "client", "instrument_id", "status"])]

    def __str__(self) -> str:
        return f"{self.instrument_id} #{self.pk}"

    @property
    def when(self) -> Any:
        return self.completed_at or self.started_at

    @property
    def given_by(self) -> str:
        """Who gave it, in words: the staff member, and the channel when the client answered
        alone ("Tess Example, private link")."""
        who = self.created_by.display_name if self.created_by is not None else "an import"
        channel = {
            Mode.TABLET: "on the clinic's tablet",
            Mode.PORTAL: "by private link",
            Mode.API: "through the API",
            Mode.IMPORT: "imported",
        }.get(self.mode, "")  # type: ignore[call-overload]
        return f"{who}, {channel}" if channel else who


class AlertReason(models.TextChoices):
    RISK_ITEM = "risk_item", "Risk item answered positively"
    SEVERE_BAND = "severe_band", "Score in a severe band"


class AlertQuerySet(ClinicOwnedQuerySet["RiskAlert"]):
    def open(self) -> AlertQuerySet:
        return self.filter(closed_at__isnull=True)


class RiskAlert(ClinicOwned):
    """Raised by a positive risk item or a severe band; open until a clinician records the
    action taken (DESIGN.md, clinical safety rules)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="risk_alerts")
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="alerts"
    )
    reason = models.CharField(max_length=20, choices=AlertReason.choices)
    item = models.CharField(max_length=40, blank=True, help_text="linkId of the risk item")
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    assigned_to = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The clinician handling it.",
    )
    acknowledged_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(
        null=True, blank=True, help_text="A clinician has seen it: escalation stops."
    )
    escalation_level = models.PositiveSmallIntegerField(
        default=0, help_text="0: the first on call notified; n: escalated n times."
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = AlertQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering: ClassVar = ["-raised_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["administration", "reason", "item"], name="one_alert_per_trigger"
            )
        ]

    def __str__(self) -> str:
        return f"Alert #{self.pk} ({self.get_reason_display()})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
