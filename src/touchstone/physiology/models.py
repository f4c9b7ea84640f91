"""The body's side: biomarker samples, HRV recordings, sleep-diary nights, wearable days.

Every number is checked by the science core (``touchstone.science.physiology``) in
``clean()``, so HTML forms, the portal, the import and the API refuse the same impossible
values with the same messages; derived values (canonical concentration, HRV metrics, sleep
metrics) are computed there and stored beside what was entered, never typed in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import numpy as np
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from touchstone.accounts.access import ClinicOwned, ClinicOwnedQuerySet
from touchstone.accounts.models import StaffMember
from touchstone.care.models import Visit
from touchstone.clients.models import Client
from touchstone.science.physiology import PhysiologyError, units
from touchstone.science.physiology import hrv as hrv_core
from touchstone.science.physiology import sleep as sleep_core

DAY_MIN = 24 * 60

ANALYTE_CHOICES = [(b.code, b.name) for b in units.BIOMARKERS.values()]
UNIT_CHOICES = [(code, code) for code in units.UNITS]
SPECIMEN_CHOICES = [(s, s.title()) for s in units.SPECIMENS]


class Timing(models.TextChoices):
    BEFORE = "before", "Before the visit"
    AFTER = "after", "After the visit"


class Entry(models.TextChoices):
    STAFF = "staff", "Entered by staff"
    PORTAL = "portal", "Entered by the client (private link)"
    API = "api", "API"


def _visit_errors(obj: Any) -> dict[str, str]:
    """A visit, when given, belongs to the same client; before/after needs a visit."""
    errors: dict[str, str] = {}
    if obj.visit_id and obj.visit is not None and obj.visit.client_id != obj.client_id:
        errors["visit"] = "This visit belongs to another client."
    if obj.visit_id and not obj.timing:
        errors["timing"] = "Say whether this was before or after the visit."
    if obj.timing and not obj.visit_id:
        errors["visit"] = "Choose the visit this was before or after."
    return errors


def _aware_past(value: dt.datetime | None, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if timezone.is_naive(value):
        return {field: "The time needs a time zone."}
    if value > timezone.now() + dt.timedelta(minutes=5):
        return {field: "This time is in the future."}
    return {}


class Sample(ClinicOwned):
    """One biomarker measurement (cortisol and others), as entered and in canonical units.

    ``value``/``unit`` are what the lab reported; ``canonical_value`` is the exact
    conversion to the analyte's canonical unit (cortisol: nmol/L) by the science core.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="samples")
    analyte = models.CharField(max_length=20, choices=ANALYTE_CHOICES, default="cortisol")
    value = models.FloatField(help_text="As reported by the lab.")
    unit = models.CharField(
        max_length=10, choices=UNIT_CHOICES, help_text="UCUM code, e.g. nmol/L or ug/dL."
    )
    canonical_value = models.FloatField(editable=False)
    canonical_unit = models.CharField(max_length=10, editable=False)
    specimen = models.CharField(max_length=10, choices=SPECIMEN_CHOICES, default="saliva")
    collected_at = models.DateTimeField("Collected at")
    minutes_since_waking = models.PositiveSmallIntegerField(
        "Minutes since waking",
        null=True,
        blank=True,
        validators=[MaxValueValidator(DAY_MIN)],
        help_text="0 for a sample on waking; leave empty if unknown.",
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    timing = models.CharField(max_length=6, choices=Timing.choices, blank=True)
    lab = models.CharField(max_length=120, blank=True)
    reference_low = models.FloatField(null=True, blank=True)
    reference_high = models.FloatField(null=True, blank=True)
    reference_unit = models.CharField(max_length=10, choices=UNIT_CHOICES, blank=True)
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-collected_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["clinic", "client", "analyte", "collected_at"])]

    def __str__(self) -> str:
        return f"{self.analyte} sample #{self.pk}"

    @property
    def is_waking(self) -> bool:
        return self.minutes_since_waking is not None and self.minutes_since_waking <= 5

    def clean(self) -> None:
        errors: dict[str, str] = {}
        biomarker = units.BIOMARKERS.get(self.analyte)
        if biomarker is None:
            errors["analyte"] = "Choose a biomarker from the list."
        elif self.value is not None and self.unit:
            try:
                self.unit = units.normalise_unit(self.unit)
                self.canonical_value = units.to_canonical(self.value, self.unit, self.analyte)
                self.canonical_unit = biomarker.canonical_unit
            except PhysiologyError as error:
                field = "value" if "concentration" in str(error) else "unit"
                errors[field] = _sentence(error)
        if biomarker is not None and self.specimen not in biomarker.specimens:
            errors["specimen"] = (
                f"{biomarker.name} is not measured in {self.specimen}; "
                f"use {', '.join(biomarker.specimens)}."
            )
        errors.update(_aware_past(self.collected_at, "collected_at"))
        errors.update(_visit_errors(self))
        errors.update(self._reference_errors())
        if errors:
            raise ValidationError(errors)

    def _reference_errors(self) -> dict[str, str]:
        low, high = self.reference_low, self.reference_high
        if low is None and high is None:
            return {}
        if not self.reference_unit:
            return {"reference_unit": "Give the unit of the reference range."}
        for name, value in (("reference_low", low), ("reference_high", high)):
            if value is not None and value < 0:
                return {name: "A reference limit cannot be negative."}
        if low is not None and high is not None and low >= high:
            return {"reference_high": "The upper reference limit must be above the lower."}
        if self.analyte in units.BIOMARKERS:
            try:
                units.to_canonical(high or low or 1.0, self.reference_unit, self.analyte)
            except PhysiologyError as error:
                return {"reference_unit": _sentence(error)}
        return {}

    def reference_canonical(self) -> tuple[float | None, float | None]:
        """The reference range converted to the canonical unit (None where not given)."""

        def convert(value: float | None) -> float | None:
            if value is None or value <= 0 or not self.reference_unit:
                return value
            return units.to_canonical(value, self.reference_unit, self.analyte)

        return convert(self.reference_low), convert(self.reference_high)

    @property
    def flag(self) -> str:
        """ "low", "high" or "" against the reference range (compared in canonical units)."""
        low, high = self.reference_canonical()
        if low is not None and self.canonical_value < low:
            return "low"
        if high is not None and self.canonical_value > high:
            return "high"
        return ""


class Recording(ClinicOwned):
    """An HRV recording: the RR intervals of an uploaded file and the metrics computed from
    them by the science core (artifact correction, then Task Force 1996 metrics)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="recordings")
    recorded_at = models.DateTimeField("Recorded at")
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    timing = models.CharField(max_length=6, choices=Timing.choices, blank=True)
    device = models.CharField(max_length=80, blank=True, help_text="e.g. Polar H10.")
    source_format = models.CharField(max_length=24, editable=False)
    rr_ms = models.JSONField(editable=False, help_text="Raw RR intervals in ms, as read.")
    artifact_method = models.CharField(max_length=10, default="threshold", editable=False)
    n_beats = models.PositiveIntegerField(editable=False)
    duration_s = models.FloatField(editable=False)
    mean_rr = models.FloatField(editable=False)
    mean_hr = models.FloatField(editable=False)
    sdnn = models.FloatField(editable=False)
    rmssd = models.FloatField(editable=False)
    pnn50 = models.FloatField(editable=False)
    lf = models.FloatField(null=True, editable=False)
    hf = models.FloatField(null=True, editable=False)
    lf_hf = models.FloatField(null=True, editable=False)
    n_corrected = models.PositiveIntegerField(editable=False)
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    # The RR series never changes after upload; versions keep the metrics, not the beats.
    history = HistoricalRecords(excluded_fields=["rr_ms"])

    class Meta:
        ordering: ClassVar = ["-recorded_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["clinic", "client", "recorded_at"])]

    def __str__(self) -> str:
        return f"HRV recording #{self.pk}"

    def set_metrics(self, metrics: hrv_core.HrvMetrics) -> None:
        values = metrics.to_dict()
        for name in METRIC_FIELDS:
            setattr(self, name, values[name])
        self.artifact_method = metrics.artifacts.method

    def metrics(self) -> hrv_core.HrvMetrics:
        """The stored metrics as the science core's dataclass (for ``compare_recordings``)."""
        return hrv_core.HrvMetrics(
            time=hrv_core.TimeDomain(
                n_beats=self.n_beats,
                duration_s=self.duration_s,
                mean_rr=self.mean_rr,
                mean_hr=self.mean_hr,
                sdnn=self.sdnn,
                rmssd=self.rmssd,
                ln_rmssd=float(np.log(self.rmssd)) if self.rmssd > 0 else float("nan"),
                pnn50=self.pnn50,
            ),
            frequency=hrv_core.FrequencyDomain(self.lf, self.hf, self.lf_hf),
            artifacts=hrv_core.ArtifactCorrection(
                np.empty(0), "threshold", self.n_beats, 0, self.n_corrected
            ),
        )

    def clean(self) -> None:
        errors = _aware_past(self.recorded_at, "recorded_at")
        errors.update(_visit_errors(self))
        if errors:
            raise ValidationError(errors)


METRIC_FIELDS = (
    "n_beats",
    "duration_s",
    "mean_rr",
    "mean_hr",
    "sdnn",
    "rmssd",
    "pnn50",
    "lf",
    "hf",
    "lf_hf",
    "n_corrected",
)


class Quality(models.IntegerChoices):
    """Consensus Sleep Diary item 8, "How would you rate the quality of your sleep?"."""

    VERY_POOR = 1, _("Very poor")
    POOR = 2, _("Poor")
    FAIR = 3, _("Fair")
    GOOD = 4, _("Good")
    VERY_GOOD = 5, _("Very good")


class SleepNight(ClinicOwned):
    """One night of the Consensus Sleep Diary (core items 1-7, quality item 8) and its
    derived metrics (definitions in ``science/physiology/sleep.py``)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sleep_nights")
    # The client fills these through their diary link: labels in the client's language.
    night_of = models.DateField(_("Night of"), help_text=_("The date you went to bed."))
    in_bed = models.TimeField(_("1. Time into bed"))
    tried_sleep = models.TimeField(_("2. Time you tried to go to sleep"))
    sol_min = models.PositiveSmallIntegerField(
        _("3. Minutes to fall asleep"), validators=[MaxValueValidator(DAY_MIN)]
    )
    awakenings = models.PositiveSmallIntegerField(
        _("4. Times woken up, not counting the final awakening"),
        validators=[MaxValueValidator(100)],
    )
    waso_min = models.PositiveSmallIntegerField(
        _("5. Minutes awake during those awakenings"), validators=[MaxValueValidator(DAY_MIN)]
    )
    final_wake = models.TimeField(_("6. Time of final awakening"))
    out_of_bed = models.TimeField(_("7. Time out of bed"))
    quality = models.PositiveSmallIntegerField(
        _("8. Quality of sleep"), choices=Quality.choices, null=True, blank=True
    )
    tib_min = models.FloatField(editable=False)
    tst_min = models.FloatField(editable=False)
    se_pct = models.FloatField(editable=False)
    twt_min = models.FloatField(editable=False)
    pre_sleep_min = models.FloatField(editable=False)
    entered = models.CharField(max_length=8, choices=Entry.choices, default=Entry.STAFF)
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-night_of", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["client", "night_of"], name="one_diary_night")
        ]

    def __str__(self) -> str:
        return f"Sleep diary {self.night_of}"

    def clean(self) -> None:
        if self.night_of and self.night_of > timezone.localdate():
            raise ValidationError({"night_of": _("This night has not happened yet.")})
        times = (self.in_bed, self.tried_sleep, self.final_wake, self.out_of_bed)
        counts = (self.sol_min, self.awakenings, self.waso_min)
        if any(t is None for t in times) or any(c is None for c in counts):
            return  # the missing field has its own "required" message
        try:
            night = sleep_core.sleep_night(
                self.in_bed,
                self.tried_sleep,
                self.sol_min,
                self.awakenings,
                self.waso_min,
                self.final_wake,
                self.out_of_bed,
            )
        except PhysiologyError as error:
            raise ValidationError(_sentence(error)) from None
        self.tib_min, self.tst_min, self.se_pct = night.tib_min, night.tst_min, night.se_pct
        self.twt_min, self.pre_sleep_min = night.twt_min, night.pre_sleep_min

    def validate_unique(self, exclude: Any = None) -> None:
        super().validate_unique(exclude)
        if self.client_id and self.night_of:
            twin = SleepNight.objects.filter(client_id=self.client_id, night_of=self.night_of)
            if twin.exclude(pk=self.pk).exists():
                message = _("There is already a diary entry for the night of %(night)s.") % {
                    "night": self.night_of
                }
                raise ValidationError({"night_of": message})

    def core(self) -> sleep_core.SleepNight:
        return sleep_core.SleepNight(
            tib_min=self.tib_min,
            tst_min=self.tst_min,
            se_pct=self.se_pct,
            sol_min=float(self.sol_min),
            waso_min=float(self.waso_min),
            twt_min=self.twt_min,
            nwak=self.awakenings,
            pre_sleep_min=self.pre_sleep_min,
        )


SLEEP_FIELDS = [
    "night_of",
    "in_bed",
    "tried_sleep",
    "sol_min",
    "awakenings",
    "waso_min",
    "final_wake",
    "out_of_bed",
    "quality",
]


class WearableKind(models.TextChoices):
    SLEEP = "sleep", "Sleep (bedtime, wake time, total sleep)"
    HEART = "heart", "Resting heart rate and HRV"


# Plausibility ranges for a wearable's daily summary (typo and unit guards, not norms):
# resting HR 25-220 bpm; nightly RMSSD 1-300 ms (values above ~250 ms come from ectopy or
# artifacts in consumer devices; Task Force 1996 ranges for healthy adults are far lower).
RESTING_HR_RANGE = (25.0, 220.0)
RMSSD_RANGE = (1.0, 300.0)


class WearableDay(ClinicOwned):
    """One row of a wearable's daily export: a night's sleep or a day's resting HR/HRV."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="wearable_days")
    day = models.DateField()
    kind = models.CharField(max_length=6, choices=WearableKind.choices)
    source = models.CharField(max_length=80, blank=True, help_text="Device or app.")
    bedtime = models.TimeField(null=True, blank=True)
    wake_time = models.TimeField(null=True, blank=True)
    tib_min = models.FloatField(null=True, blank=True, editable=False)
    tst_min = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(DAY_MIN)]
    )
    se_pct = models.FloatField(null=True, blank=True, editable=False)
    resting_hr = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(RESTING_HR_RANGE[0]), MaxValueValidator(RESTING_HR_RANGE[1])],
    )
    rmssd = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(RMSSD_RANGE[0]), MaxValueValidator(RMSSD_RANGE[1])],
    )
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-day", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["client", "day", "kind"], name="one_wearable_day")
        ]

    def __str__(self) -> str:
        return f"Wearable {self.kind} {self.day}"

    def clean(self) -> None:
        if self.day and self.day > timezone.localdate():
            raise ValidationError({"day": "This date is in the future."})
        if self.kind == WearableKind.SLEEP:
            if self.bedtime is None or self.wake_time is None:
                raise ValidationError("A sleep row needs a bedtime and a wake time.")
            tib = (
                float(
                    (self.wake_time.hour * 60 + self.wake_time.minute)
                    - (self.bedtime.hour * 60 + self.bedtime.minute)
                )
                % DAY_MIN
            )
            if tib == 0:
                raise ValidationError("Bedtime equals wake time: no time in bed.")
            self.tib_min = tib
            if self.tst_min is not None:
                if self.tst_min > tib:
                    raise ValidationError(
                        f"Total sleep ({self.tst_min:g} min) is longer than the time in bed "
                        f"({tib:g} min)."
                    )
                self.se_pct = 100 * self.tst_min / tib
        elif self.resting_hr is None and self.rmssd is None:
            raise ValidationError("A heart row needs a resting heart rate or an RMSSD.")


#: How long an uploaded wearable export waits for its column mapping.
UPLOAD_LIFETIME = dt.timedelta(hours=2)


class WearableUploadQuerySet(ClinicOwnedQuerySet["WearableUpload"]):
    def expired(self, now: dt.datetime | None = None) -> WearableUploadQuerySet:
        return self.filter(expires_at__lte=now or timezone.now())


class WearableUpload(ClinicOwned):
    """A wearable export between its upload and the confirmed import: the raw text, kept
    server-side for the one staff member who uploaded it (not in the session table, which
    every request reads) and deleted when imported or expired (``touchstone cleanup``)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=6, choices=WearableKind.choices)
    source = models.CharField(max_length=80, blank=True)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    objects = WearableUploadQuerySet.as_manager()  # type: ignore[misc]

    def __str__(self) -> str:
        return f"Wearable upload {self.pk}"


def _sentence(error: Exception) -> str:
    text = str(error)
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."
