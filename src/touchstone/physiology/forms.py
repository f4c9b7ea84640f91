"""HTML forms for the body's side. Validation of values lives on the models (``clean()``,
through the science core) so the API and the import apply the same rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from touchstone.accounts.models import StaffMember
from touchstone.care.forms import DateTimeInput
from touchstone.care.models import Visit
from touchstone.clients.forms import DateInput
from touchstone.clients.models import Client
from touchstone.physiology.actions import SAMPLE_FIELDS
from touchstone.physiology.models import SLEEP_FIELDS, Sample, SleepNight, Timing, WearableKind
from touchstone.physiology.wearables import DATE_FORMATS, DURATION_UNITS, TARGETS, TIME_FORMATS


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class VisitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{timezone.localtime(obj.starts_at):%Y-%m-%d %H:%M} ({obj.get_status_display()})"


def _client_visits(member: StaffMember, client: Client) -> VisitChoiceField:
    return VisitChoiceField(
        queryset=Visit.objects.for_member(member)
        .filter(client_id=client.pk)
        .order_by("-starts_at"),
        required=False,
        label="Visit",
        help_text="Optional: the visit this was taken before or after.",
    )


class SampleForm(forms.ModelForm):
    class Meta:
        model = Sample
        fields = SAMPLE_FIELDS
        widgets = {
            "collected_at": DateTimeInput(),
            "value": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "reference_low": forms.NumberInput(attrs={"step": "any"}),
            "reference_high": forms.NumberInput(attrs={"step": "any"}),
        }

    def __init__(self, *args: Any, member: StaffMember, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visit"] = _client_visits(member, client)
        collected = self.fields["collected_at"]
        assert isinstance(collected, forms.DateTimeField)
        collected.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class RecordingForm(forms.Form):
    file = forms.FileField(
        label="RR-interval file",
        help_text="Plain text or CSV with one RR interval in ms per line (Elite HRV, Polar "
        "Flow), or a Polar Sensor Logger RR export. Up to 4 MB.",
    )
    recorded_at = forms.DateTimeField(
        label="Recorded at", widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )
    timing = forms.ChoiceField(
        choices=[("", "—"), *Timing.choices], required=False, label="Before or after the visit"
    )
    device = forms.CharField(max_length=80, required=False, help_text="e.g. Polar H10.")

    def __init__(self, *args: Any, member: StaffMember, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visit"] = _client_visits(member, client)
        self.order_fields(["file", "recorded_at", "visit", "timing", "device"])


class SleepNightForm(forms.ModelForm):
    class Meta:
        model = SleepNight
        fields = SLEEP_FIELDS
        widgets = {
            "night_of": DateInput(),
            "in_bed": TimeInput(),
            "tried_sleep": TimeInput(),
            "final_wake": TimeInput(),
            "out_of_bed": TimeInput(),
            "sol_min": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "awakenings": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "waso_min": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
        }


class DiaryLinkForm(forms.Form):
    valid_days = forms.IntegerField(
        label="Keep the diary for (days)", min_value=1, max_value=14, initial=14
    )


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=WearableKind.choices, label="What the file holds")
    file = forms.FileField(label="CSV export", help_text="One row per night or day; up to 512 KB.")
    source = forms.CharField(
        max_length=80, required=False, label="Device or app", help_text="e.g. Oura, Fitbit."
    )


class MappingForm(forms.Form):
    """Which column of the export holds each of our fields, and how dates are written."""

    date_format = forms.ChoiceField(choices=DATE_FORMATS, label="Dates look like")

    def __init__(self, *args: Any, kind: str, header: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        choices = [("", "— not in this file —")] + [(str(i), h) for i, h in enumerate(header)]
        lowered = [h.lower() for h in header]
        for name, label, required in TARGETS[kind]:
            self.fields[f"col_{name}"] = forms.ChoiceField(
                choices=choices, required=required, label=f"Column for: {label}"
            )
            guess = _guess(name, lowered)
            if guess is not None:
                self.initial.setdefault(f"col_{name}", str(guess))
        if kind == WearableKind.SLEEP:
            self.fields["time_format"] = forms.ChoiceField(
                choices=TIME_FORMATS, label="Times look like"
            )
            self.fields["duration_unit"] = forms.ChoiceField(
                choices=DURATION_UNITS, label="Total sleep is given in"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.kind == WearableKind.HEART and not (
            data.get("col_resting_hr") or data.get("col_rmssd")
        ):
            raise forms.ValidationError("Map at least one of resting heart rate and RMSSD.")
        used = [v for k, v in data.items() if k.startswith("col_") and v]
        if len(used) != len(set(used)):
            raise forms.ValidationError("Each column can be mapped to one field only.")
        return data

    def columns(self) -> dict[str, int]:
        return {
            key[4:]: int(value)
            for key, value in self.cleaned_data.items()
            if key.startswith("col_") and value
        }


_HINTS = {
    "date": ("date", "day", "summary_date"),
    "bedtime": ("bedtime", "bed time", "bedtime_start", "start", "sleep start"),
    "wake_time": ("wake", "wake time", "bedtime_end", "end", "sleep end"),
    "tst": ("total sleep", "total_sleep", "tst", "sleep duration", "asleep", "minutes asleep"),
    "resting_hr": ("resting heart rate", "resting_hr", "rhr", "lowest heart rate", "resting hr"),
    "rmssd": ("rmssd", "hrv", "average_hrv", "hrv rmssd"),
}


def _guess(name: str, header: list[str]) -> int | None:
    for hint in _HINTS.get(name, ()):
        for index, column in enumerate(header):
            if column == hint:
                return index
    for hint in _HINTS.get(name, ()):
        for index, column in enumerate(header):
            if hint in column:
                return index
    return None
