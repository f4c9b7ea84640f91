"""Care: intake (with medications and the contraindication screen), episodes of care with
diagnoses and a measurement plan, and visits (massage sessions) with body map, SOAP note,
before/after ratings, vitals and adverse events.

Every model is clinic-owned and versioned (django-simple-history); validation lives in
``clean()`` so that HTML forms and the API apply the same rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from touchstone.accounts.access import ClinicOwned
from touchstone.accounts.models import StaffMember
from touchstone.care import bodymap, contraindications, icd10
from touchstone.clients.models import Client
from touchstone.instruments.catalogue import CUSTOM_ID
from touchstone.lib.npi import INVALID_NPI, npi_is_valid
from touchstone.science.instruments import instrument_ids


class Intake(ClinicOwned):
    """One current intake per client; edits are kept as versions."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="intake")
    presenting_concerns = models.TextField(blank=True)
    prescriber_name = models.CharField("Prescriber", max_length=150, blank=True)
    prescriber_contact = models.CharField("Prescriber's contact", max_length=200, blank=True)
    therapist_name = models.CharField("Psychotherapist / counsellor", max_length=150, blank=True)
    therapist_contact = models.CharField("Psychotherapist's contact", max_length=200, blank=True)
    referrer_name = models.CharField("Referring provider", max_length=150, blank=True)
    referrer_npi = models.CharField(
        "Referring provider's NPI", max_length=10, blank=True, help_text="10 digits, optional."
    )
    referrer_contact = models.CharField("Referring provider's contact", max_length=200, blank=True)
    ed_visits_6m = models.PositiveSmallIntegerField(
        "Emergency-department visits, last 6 months", null=True, blank=True
    )
    primary_care_visits_6m = models.PositiveSmallIntegerField(
        "Primary-care visits, last 6 months", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    def __str__(self) -> str:
        return f"Intake of client {self.client_id}"

    def clean(self) -> None:
        self.referrer_npi = (self.referrer_npi or "").strip()
        if self.referrer_npi and not npi_is_valid(self.referrer_npi):
            raise ValidationError({"referrer_npi": INVALID_NPI})


INTAKE_FIELDS = [
    "presenting_concerns",
    "prescriber_name",
    "prescriber_contact",
    "therapist_name",
    "therapist_contact",
    "referrer_name",
    "referrer_npi",
    "referrer_contact",
    "ed_visits_6m",
    "primary_care_visits_6m",
]


class DrugClass(models.TextChoices):
    SSRI = "ssri", "SSRI"
    SNRI = "snri", "SNRI"
    TCA = "tca", "Tricyclic antidepressant"
    MAOI = "maoi", "MAOI"
    ATYPICAL = "atypical_antidepressant", "Bupropion / atypical antidepressant"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    ANXIOLYTIC = "other_anxiolytic", "Other anxiolytic"
    ANTIPSYCHOTIC = "antipsychotic", "Antipsychotic"
    MOOD_STABILISER = "mood_stabiliser", "Mood stabiliser"
    STIMULANT = "stimulant", "Stimulant"
    HYPNOTIC = "hypnotic", "Hypnotic"
    ANTICOAGULANT = "anticoagulant", "Anticoagulant / antiplatelet"
    OTHER = "other", "Other"


PSYCHOTROPIC_CLASSES = frozenset(DrugClass) - {DrugClass.ANTICOAGULANT, DrugClass.OTHER}


class Medication(ClinicOwned):
    """A medication the client takes or took; its changes over time are its history."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=120)
    drug_class = models.CharField("Class", max_length=30, choices=DrugClass.choices)
    dose = models.CharField(max_length=120, blank=True, help_text="e.g. 20 mg once daily")
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["stopped_on", "name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_psychotropic(self) -> bool:
        return self.drug_class in PSYCHOTROPIC_CLASSES

    @property
    def is_current(self) -> bool:
        return self.stopped_on is None or self.stopped_on >= timezone.localdate()

    def clean(self) -> None:
        self.name = (self.name or "").strip()
        errors: dict[str, str] = {}
        if not self.name:
            errors["name"] = "Enter the medication's name."
        if self.started_on and self.started_on > timezone.localdate():
            errors["started_on"] = "A start date cannot be in the future."
        if self.started_on and self.stopped_on and self.stopped_on < self.started_on:
            errors["stopped_on"] = "The stop date cannot be before the start date."
        if errors:
            raise ValidationError(errors)


MEDICATION_FIELDS = ["name", "drug_class", "dose", "started_on", "stopped_on", "notes"]


class ContraindicationScreen(ClinicOwned):
    """One screening; the newest is the client's current screen. The result is computed."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="screens")
    screened_at = models.DateTimeField(default=timezone.now)
    screened_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    items = models.JSONField(default=list, blank=True)
    pregnancy_trimester = models.PositiveSmallIntegerField(null=True, blank=True)
    other_text = models.CharField("Other (describe)", max_length=200, blank=True)
    result = models.CharField(
        max_length=12, choices=contraindications.Result.choices, editable=False
    )
    precautions = models.TextField(
        "What the precautions are", blank=True, help_text="Required when the result is precautions."
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-screened_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["client", "-screened_at"])]

    def __str__(self) -> str:
        return f"{self.get_result_display()} ({timezone.localtime(self.screened_at):%Y-%m-%d})"

    @property
    def item_labels(self) -> list[str]:
        return [
            contraindications.BY_CODE[c].label for c in self.items if c in contraindications.BY_CODE
        ]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        items = self.items if isinstance(self.items, list) else []
        unknown = [c for c in items if c not in contraindications.BY_CODE]
        if not isinstance(self.items, list) or unknown:
            errors["items"] = f"Unknown screen items: {', '.join(map(str, unknown))}."
        self.items = [c for c, _ in contraindications.CHOICES if c in items]
        if "pregnancy" in self.items and self.pregnancy_trimester not in (1, 2, 3):
            errors["pregnancy_trimester"] = "Choose the trimester (1, 2 or 3)."
        if "pregnancy" not in self.items and self.pregnancy_trimester is not None:
            errors["pregnancy_trimester"] = "A trimester needs the pregnancy box ticked."
        self.other_text = (self.other_text or "").strip()
        if "other" in self.items and not self.other_text:
            errors["other_text"] = "Describe the other contraindication."
        self.result = contraindications.compute_result(self.items)
        self.precautions = (self.precautions or "").strip()
        if self.result == contraindications.Result.PRECAUTIONS and not self.precautions:
            errors["precautions"] = "Write what the precautions are."
        if errors:
            raise ValidationError(errors)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The result is always derived from the items: it can never be lowered by hand.
        self.result = contraindications.compute_result(list(self.items or []))
        super().save(*args, **kwargs)


SCREEN_FIELDS = ["items", "pregnancy_trimester", "other_text", "precautions", "notes"]


class MedicalClearance(ClinicOwned):
    """A provider's clearance for massage, recorded against the screen that asked for it.

    It holds for that screen only: a newer screen that again needs clearance needs a new
    clearance. Who cleared (the provider's name and licence or NPI) and when are what the
    provider wrote; who recorded it and when are set by the action. Versioned.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="clearances")
    screen = models.ForeignKey(
        ContraindicationScreen, on_delete=models.PROTECT, related_name="clearances"
    )
    provider_name = models.CharField("Cleared by (provider's name)", max_length=150)
    provider_licence = models.CharField(
        "Provider's licence or NPI", max_length=60, help_text="e.g. MD 12345 (state) or the NPI."
    )
    cleared_on = models.DateField("Date of the clearance")
    conditions = models.TextField(
        "Conditions or limits", blank=True, help_text="What the provider asked to avoid or limit."
    )
    recorded_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"Cleared by {self.provider_name} ({self.provider_licence}) on {self.cleared_on}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.provider_name = (self.provider_name or "").strip()
        self.provider_licence = (self.provider_licence or "").strip()
        self.conditions = (self.conditions or "").strip()
        if not self.provider_name:
            errors["provider_name"] = "Enter the name of the provider who gave the clearance."
        if not self.provider_licence:
            errors["provider_licence"] = "Enter the provider's licence number or NPI."
        if self.cleared_on and self.cleared_on > timezone.localdate():
            errors["cleared_on"] = "A clearance cannot be dated in the future."
        if self.screen_id and self.screen.client_id != self.client_id:
            errors["screen"] = "This screen belongs to another client."
        elif self.screen_id and self.screen.result != contraindications.Result.CLEARANCE:
            errors["screen"] = "The client's current screen does not ask for medical clearance."
        if errors:
            raise ValidationError(errors)


CLEARANCE_FIELDS = ["provider_name", "provider_licence", "cleared_on", "conditions"]


class FrequencyUnit(models.TextChoices):
    WEEK = "week", "per week"
    FORTNIGHT = "fortnight", "per fortnight"
    MONTH = "month", "per month"


def _instrument_ids() -> set[str]:
    return set(instrument_ids())


class Episode(ClinicOwned):
    """One course of care: goals, planned frequency, diagnoses and a measurement plan."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="episodes")
    title = models.CharField(max_length=150)
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)
    goals = models.TextField(blank=True)
    frequency_count = models.PositiveSmallIntegerField(
        "Planned sessions",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(14)],
    )
    frequency_unit = models.CharField(
        "per", max_length=10, choices=FrequencyUnit.choices, default=FrequencyUnit.WEEK
    )
    plan_intake = models.JSONField("Instruments at intake", default=list, blank=True)
    plan_each_visit = models.JSONField(
        "Instruments before and after each session", default=list, blank=True
    )
    plan_periodic = models.JSONField("Instruments every N weeks", default=list, blank=True)
    plan_every_weeks = models.PositiveSmallIntegerField(
        "Every N weeks",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
    )
    plan_sleep_diary = models.BooleanField(
        "Sleep diary",
        default=False,
        help_text="The client keeps the daily sleep diary while the episode is open.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-started_on", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.ended_on is None or self.ended_on >= timezone.localdate()

    def clean(self) -> None:
        self.title = (self.title or "").strip()
        errors: dict[str, str] = {}
        if not self.title:
            errors["title"] = "Give the episode a title."
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            errors["ended_on"] = "The end date cannot be before the start date."
        known = _instrument_ids()
        for name in ("plan_intake", "plan_each_visit", "plan_periodic"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = "Give a list of instrument ids."
                continue
            # A clinic's own instruments and licensed texts are checked against the clinic by
            # the actions (care.actions: measures.instruments.plan_errors).
            unknown = sorted(v for v in set(value) - known if not CUSTOM_ID.match(v))
            if unknown:
                errors[name] = f"Unknown instrument: {', '.join(unknown)}."
            elif set(value) & SESSION_RATING_INSTRUMENTS:
                errors[name] = (
                    "Session ratings are recorded on the visit (before and after), not as "
                    "questionnaires."
                )
        if self.plan_periodic and not self.plan_every_weeks:
            errors["plan_every_weeks"] = "Say every how many weeks."
        if errors:
            raise ValidationError(errors)


EPISODE_FIELDS = [
    "title",
    "started_on",
    "ended_on",
    "goals",
    "frequency_count",
    "frequency_unit",
    "plan_intake",
    "plan_each_visit",
    "plan_periodic",
    "plan_every_weeks",
    "plan_sleep_diary",
]


class DiagnosisSource(models.TextChoices):
    REFERRING = "referring", "Referring provider"
    CLINIC = "clinic", "This clinic"


class Diagnosis(ClinicOwned):
    """An ICD-10-CM diagnosis on an episode, entered by a licensed clinician."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="diagnoses")
    code = models.CharField("ICD-10-CM code", max_length=8)
    source = models.CharField(max_length=10, choices=DiagnosisSource.choices)
    entered_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["entered_at", "id"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return icd10.title(self.code)

    def clean(self) -> None:
        self.code = icd10.normalise(self.code or "")
        if self.code not in icd10.codes():
            raise ValidationError(
                {"code": f"{self.code or 'This'} is not in the list of accepted ICD-10-CM codes."}
            )


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Modality(models.TextChoices):
    SWEDISH = "swedish", "Swedish"
    DEEP_TISSUE = "deep_tissue", "Deep tissue"
    MYOFASCIAL = "myofascial", "Myofascial release"
    TRIGGER_POINT = "trigger_point", "Trigger point"
    CRANIOSACRAL = "craniosacral", "Craniosacral"
    REFLEXOLOGY = "reflexology", "Reflexology"
    LYMPHATIC = "lymphatic", "Lymphatic drainage"
    PRENATAL = "prenatal", "Prenatal"
    OTHER = "other", "Other"


class Pressure(models.TextChoices):
    LIGHT = "light", "Light"
    MODERATE = "moderate", "Moderate"
    FIRM = "firm", "Firm"
    DEEP = "deep", "Deep"


#: The five 0-10 session ratings. Their one home is the visit (``<name>_before`` and
#: ``<name>_after``): docs/architecture.md, "Session ratings: one source".
RATINGS = ("tension", "anxiety", "mood", "pain", "relaxation")
#: The retired ``rating-*`` questionnaires: their definitions stay so that administrations
#: given before the ratings moved to the visit can still be read, but none can be started or
#: planned (``care.ratings_move`` copied their values into the visits).
SESSION_RATING_INSTRUMENTS = frozenset(f"rating-{name}" for name in RATINGS)


def _rating(label: str) -> Any:
    return models.PositiveSmallIntegerField(
        label, null=True, blank=True, validators=[MaxValueValidator(10)]
    )


def _vital(label: str, low: int, high: int) -> Any:
    return models.PositiveSmallIntegerField(
        label, null=True, blank=True, validators=[MinValueValidator(low), MaxValueValidator(high)]
    )


class Visit(ClinicOwned):
    """One massage session ("visit": the word session belongs to logins)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="visits")
    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, related_name="visits", null=True, blank=True
    )
    therapist = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField("Date and time")
    duration_min = models.PositiveSmallIntegerField(
        "Duration (minutes)", default=60, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    status = models.CharField(
        max_length=10, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED
    )
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.SWEDISH)
    modality_other = models.CharField("Other modality", max_length=100, blank=True)
    pressure = models.CharField(max_length=10, choices=Pressure.choices, blank=True)
    body_map = models.JSONField(default=dict, blank=True, validators=[bodymap.validate_body_map])
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    tension_before = _rating("Tension before")
    tension_after = _rating("Tension after")
    anxiety_before = _rating("Anxiety before")
    anxiety_after = _rating("Anxiety after")
    mood_before = _rating("Mood before")
    mood_after = _rating("Mood after")
    pain_before = _rating("Pain before")
    pain_after = _rating("Pain after")
    relaxation_before = _rating("Relaxation before")
    relaxation_after = _rating("Relaxation after")
    # Plausibility ranges for an adult at rest (a typo guard, not clinical norms).
    heart_rate_before = _vital("Heart rate before (bpm)", 25, 250)
    heart_rate_after = _vital("Heart rate after (bpm)", 25, 250)
    systolic_before = _vital("Systolic before (mmHg)", 60, 260)
    diastolic_before = _vital("Diastolic before (mmHg)", 30, 160)
    systolic_after = _vital("Systolic after (mmHg)", 60, 260)
    diastolic_after = _vital("Diastolic after (mmHg)", 30, 160)
    # Completing a visit of a client whose screen needs medical clearance: the clearance it
    # went ahead under, or the reason it went ahead without one (care.actions sets who).
    clearance = models.ForeignKey(
        MedicalClearance,
        on_delete=models.PROTECT,
        related_name="visits",
        null=True,
        blank=True,
        editable=False,
    )
    clearance_override = models.TextField(
        "Why the visit goes ahead without medical clearance",
        blank=True,
        help_text="Only when the client's screen needs medical clearance and none is recorded.",
    )
    clearance_override_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    # A signed note is final: changes after signing are addenda (VisitAddendum).
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    signed_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-starts_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["clinic", "starts_at"]),
            models.Index(fields=["client", "starts_at"]),
            models.Index(fields=["therapist", "signed_at", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"Visit {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def tense_regions(self) -> list[str]:
        """The body map in words, most tense first: ``["Right shoulder: severe", ...]``."""
        regions = sorted(bodymap.compact(self.body_map or {}).items(), key=lambda r: (-r[1], r[0]))
        return [
            f"{bodymap.BY_CODE[code].label}: {bodymap.LEVEL_LABELS[level]}"
            for code, level in regions
            if code in bodymap.BY_CODE
        ]

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_min)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.episode_id and self.episode and self.episode.client_id != self.client_id:
            errors["episode"] = "This episode belongs to another client."
        if self.therapist_id and self.therapist and self.therapist.clinic_id != self.clinic_id:
            errors["therapist"] = "Choose a therapist of this clinic."
        elif self.therapist_id and self.therapist and not self.therapist.can("care.edit"):
            # Only people who treat (the roles holding care.edit) give massage sessions.
            errors["therapist"] = "Choose a member of staff who treats clients."
        if self.starts_at and timezone.is_naive(self.starts_at):
            errors["starts_at"] = "The time needs a time zone."
        self.modality_other = (self.modality_other or "").strip()
        if self.modality == Modality.OTHER and not self.modality_other:
            errors["modality_other"] = "Name the other modality."
        for when in ("before", "after"):
            systolic = getattr(self, f"systolic_{when}")
            diastolic = getattr(self, f"diastolic_{when}")
            if (systolic is None) != (diastolic is None):
                errors[f"diastolic_{when}"] = "Enter both systolic and diastolic pressure."
            elif systolic is not None and diastolic is not None and systolic <= diastolic:
                errors[f"systolic_{when}"] = "Systolic pressure must be above diastolic."
        if errors:
            raise ValidationError(errors)

    def ratings(self) -> dict[str, dict[str, int | None]]:
        return {
            name: {
                "before": getattr(self, f"{name}_before"),
                "after": getattr(self, f"{name}_after"),
            }
            for name in RATINGS
        }


RATING_FIELDS = [f"{name}_{when}" for name in RATINGS for when in ("before", "after")]
VITAL_FIELDS = [
    "heart_rate_before",
    "heart_rate_after",
    "systolic_before",
    "diastolic_before",
    "systolic_after",
    "diastolic_after",
]
SOAP_FIELDS = ["subjective", "objective", "assessment", "plan"]
VISIT_FIELDS = [
    "episode",
    "therapist",
    "starts_at",
    "duration_min",
    "status",
    "modality",
    "modality_other",
    "pressure",
    "body_map",
    *SOAP_FIELDS,
    *RATING_FIELDS,
    *VITAL_FIELDS,
    "clearance_override",
]


class VisitAddendum(ClinicOwned):
    """A dated, signed correction of a signed visit note (the note itself never changes).

    Written and signed in one step by a treating staff member; never edited (versioned all
    the same, like every clinical row).
    """

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField("Addendum")
    signed_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["signed_at", "id"]
        verbose_name_plural = "visit addenda"

    def __str__(self) -> str:
        return f"Addendum {timezone.localtime(self.signed_at):%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        self.text = (self.text or "").strip()
        if not self.text:
            raise ValidationError({"text": "Write the addendum."})
        if self.visit_id and self.visit.signed_at is None:
            raise ValidationError(
                {"text": "This note is not signed yet: correct it by editing the visit."}
            )


class AdverseEventKind(models.TextChoices):
    SORENESS = "soreness", "Soreness"
    BRUISING = "bruising", "Bruising"
    EMOTIONAL = "emotional_release", "Emotional release"
    DIZZINESS = "dizziness", "Dizziness"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AdverseEvent(ClinicOwned):
    """Something unwanted after a visit, with its follow-up."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="adverse_events")
    kind = models.CharField(max_length=20, choices=AdverseEventKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    description = models.TextField(blank=True)
    follow_up = models.TextField("Follow-up", blank=True)
    resolved = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"

    def clean(self) -> None:
        self.description = (self.description or "").strip()
        if self.kind == AdverseEventKind.OTHER and not self.description:
            raise ValidationError({"description": "Describe what happened."})


ADVERSE_EVENT_FIELDS = ["kind", "severity", "description", "follow_up", "resolved"]


# Self-reported health-care use during care lives in its own module (see its docstring).
from touchstone.care.healthcare_use import HealthcareUse  # noqa: E402, F401
