"""Stored fits of the clinic's expected-trajectory model (one row per clinic and instrument)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from touchstone.accounts.access import ClinicOwned


class TrajectoryFit(ClinicOwned):
    """The fitted parameters of ``score ~ weeks * baseline + (weeks | client)`` for one
    instrument in one clinic (``science.trajectories.params.model_params``), refitted when
    stale or by ``touchstone fit-trajectories``. Holds no client data: only model
    parameters and counts."""

    instrument_id = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    n_clients = models.PositiveIntegerField(default=0)
    n_observations = models.PositiveIntegerField(default=0)
    seconds = models.FloatField("Fit time (s)", default=0.0)
    fitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["clinic", "instrument_id"], name="one_fit_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} trajectory fit ({timezone.localdate(self.fitted_at)})"


class Flag(models.TextChoices):
    DETERIORATED = "deteriorated", "Reliable deterioration"
    OFF_TRACK = "off_track", "Not on track"


class FlaggedCourse(ClinicOwned):
    """An episode of care on one of the home page's lists for one instrument: its follow-up
    reliably worse than the episode's baseline (``science.episodes``, under the clinic's change
    criteria), or not on track (latest follow-up outside the expected band). A client with two
    episodes may have two rows; the lists show each client once per instrument.

    Derived data, kept current by ``outcomes.summaries`` after every score and rebuilt by
    ``touchstone refresh-summaries``; holds scores and ids only, like the rows it comes from.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    episode = models.ForeignKey(
        "care.Episode", on_delete=models.CASCADE, null=True, related_name="+"
    )
    instrument_id = models.CharField(max_length=40)
    flag = models.CharField(max_length=20, choices=Flag.choices)
    baseline = models.FloatField()
    latest = models.FloatField()
    latest_at = models.DateTimeField()
    weeks = models.FloatField(null=True)
    expected = models.FloatField(null=True)
    limit = models.FloatField(null=True, help_text="The band's limit the latest score is past.")
    distance = models.FloatField(default=0.0, help_text="How far past the limit (or baseline).")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["episode", "instrument_id", "flag"], name="one_flag_per_episode"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["clinic", "flag", "latest_at"], name="flag_by_recency"),
            models.Index(fields=["clinic", "flag", "distance"], name="flag_by_distance"),
        ]


class DueQuestionnaire(ClinicOwned):
    """The day an open episode's intake or periodic questionnaire falls due next
    (``care.plans.next_due``); the due list keeps those due by today when it is read.

    Derived data, kept current by ``outcomes.summaries`` after every score and episode change.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    episode = models.ForeignKey("care.Episode", on_delete=models.CASCADE, related_name="+")
    instrument_id = models.CharField(max_length=40)
    reason = models.CharField(max_length=12)
    due_on = models.DateField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["episode", "instrument_id"], name="one_due_per_plan")
        ]
        indexes: ClassVar = [models.Index(fields=["clinic", "due_on"], name="due_by_day")]


class ClinicSummary(models.Model):
    """Per clinic: a counter of clinical changes (scores, visits, episodes, diagnoses,
    clients) and the outcomes reports computed at a given count, so a page can tell whether a
    stored report is current. One row per clinic, created on first use."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    changes = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)
    lists_built_at = models.DateTimeField(
        null=True, help_text="When the client lists were last rebuilt for the whole clinic."
    )
    lists_criteria = models.CharField(
        max_length=40,
        blank=True,
        default="",
        help_text="The clinic's change criteria when the lists were built (a new choice "
        "rebuilds them).",
    )
    report = models.JSONField(null=True, help_text="The dashboard's report, no filters.")
    research_report = models.JSONField(null=True, help_text="The same, de-identified.")
    report_changes = models.PositiveBigIntegerField(null=True)
    report_at = models.DateTimeField(null=True)
    report_seconds = models.FloatField(default=0.0)
    quality = models.JSONField(
        null=True,
        help_text="The dashboard's payer-grade measures (last 12 months to the day computed), "
        "stored with the reports.",
    )
    quality_suppressed = models.JSONField(
        null=True, help_text="The same with counts from 1 to 10 hidden (no diagnoses.view)."
    )

    def __str__(self) -> str:
        return f"summary of clinic {self.clinic_id}"
