"""HTML forms for care. Validation lives on the models (``clean()``) so the API applies the
same rules; the forms add widgets, choices and the body map's one select per region."""

from __future__ import annotations

from typing import Any

from django import forms

from touchstone.accounts.models import StaffMember
from touchstone.accounts.roles import roles_with
from touchstone.care import bodymap, contraindications, icd10
from touchstone.care.models import (
    ADVERSE_EVENT_FIELDS,
    CLEARANCE_FIELDS,
    EPISODE_FIELDS,
    INTAKE_FIELDS,
    MEDICATION_FIELDS,
    VISIT_FIELDS,
    AdverseEvent,
    ContraindicationScreen,
    Diagnosis,
    Episode,
    Intake,
    MedicalClearance,
    Medication,
    Visit,
    VisitAddendum,
)
from touchstone.clients.forms import DateInput
from touchstone.instruments import catalogue as instruments

#: Who may be a visit's therapist: the staff whose role records care.
TREATING_ROLES = roles_with("care.edit")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class IntakeForm(forms.ModelForm):
    class Meta:
        model = Intake
        fields = INTAKE_FIELDS
        widgets = {
            "presenting_concerns": forms.Textarea(attrs={"rows": 4}),
            "ed_visits_6m": forms.NumberInput(attrs={"min": 0}),
            "primary_care_visits_6m": forms.NumberInput(attrs={"min": 0}),
            "referrer_npi": forms.TextInput(attrs={"inputmode": "numeric"}),
        }


class MedicationForm(forms.ModelForm):
    class Meta:
        model = Medication
        fields = MEDICATION_FIELDS
        widgets = {
            "started_on": DateInput(),
            "stopped_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class ScreenForm(forms.ModelForm):
    items = forms.MultipleChoiceField(
        label="Contraindications present",
        choices=contraindications.CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    pregnancy_trimester = forms.TypedChoiceField(
        label="Trimester",
        choices=[("", "—"), (1, "First"), (2, "Second"), (3, "Third")],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Only when pregnancy is ticked.",
    )

    class Meta:
        model = ContraindicationScreen
        fields = ["items", "pregnancy_trimester", "other_text", "precautions", "notes"]
        widgets = {
            "precautions": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class EpisodeForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What this clinic can give (licensed ones once their text is entered, its own live
        # ones); the session ratings belong to the visit form.
        choices = sorted(instruments.choices(self.instance.clinic_id))
        for name in ("plan_intake", "plan_each_visit", "plan_periodic"):
            self.fields[name] = forms.MultipleChoiceField(
                label=self.fields[name].label,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )

    class Meta:
        model = Episode
        fields = EPISODE_FIELDS
        widgets = {
            "started_on": DateInput(),
            "ended_on": DateInput(),
            "goals": forms.Textarea(attrs={"rows": 3}),
        }


class DiagnosisForm(forms.ModelForm):
    class Meta:
        model = Diagnosis
        fields = ["code", "source"]
        widgets = {"code": forms.TextInput(attrs={"list": "icd10-codes", "autocomplete": "off"})}
        help_texts = {"code": "e.g. F41.1; only codes on the clinic's list are accepted."}

    @staticmethod
    def code_choices() -> list[tuple[str, str]]:
        return list(icd10.codes().items())


def region_field_name(code: str) -> str:
    return f"region_{code}"


class VisitForm(forms.ModelForm):
    """A visit, with one 0-3 select per body-map region: the selects are the source of truth
    (the SVG widget writes to them), so the form works without JavaScript."""

    def __init__(self, *args: Any, member: StaffMember, client: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["episode"].queryset = Episode.objects.for_member(member).filter(  # type: ignore[attr-defined]
            client_id=client.pk
        )
        self.fields["therapist"].queryset = (  # type: ignore[attr-defined]
            StaffMember.objects.for_member(member)
            .filter(is_active=True, role__in=TREATING_ROLES)
            .select_related("user")
        )
        initial_map = self.instance.body_map or {}
        for region in bodymap.REGIONS:
            self.fields[region_field_name(region.code)] = forms.TypedChoiceField(
                label=region.label,
                choices=[(lvl, f"{lvl} {bodymap.LEVEL_LABELS[lvl]}") for lvl in bodymap.LEVELS],
                coerce=int,
                required=False,
                empty_value=None,
                initial=initial_map.get(region.code, 0),
            )
        for name in ("tension", "anxiety", "mood", "pain", "relaxation"):
            for when in ("before", "after"):
                self.fields[f"{name}_{when}"].widget.attrs.update({"min": 0, "max": 10})
        self.fields["clearance_override"].widget = forms.Textarea(attrs={"rows": 2})
        if self.instance.signed_at is not None:
            # A signed note is read-only: Django ignores posted values of disabled fields.
            for field in self.fields.values():
                field.disabled = True

    class Meta:
        model = Visit
        fields = [f for f in VISIT_FIELDS if f != "body_map"]
        widgets = {
            "starts_at": DateTimeInput(),
            "subjective": forms.Textarea(attrs={"rows": 3}),
            "objective": forms.Textarea(attrs={"rows": 3}),
            "assessment": forms.Textarea(attrs={"rows": 3}),
            "plan": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        levels = {r.code: data.get(region_field_name(r.code)) or 0 for r in bodymap.REGIONS}
        data["body_map"] = bodymap.compact(levels)
        # body_map is not a model-form field: set it here so the model's validation sees it.
        self.instance.body_map = data["body_map"]
        return data

    def region_rows(self) -> list[dict[str, Any]]:
        """Each region with its bound select and current level, for the SVG and the lists."""
        rows = []
        for region in bodymap.REGIONS:
            bound = self[region_field_name(region.code)]
            try:
                level = int(bound.value() or 0)
            except (TypeError, ValueError):
                level = 0
            rows.append({"region": region, "field": bound, "level": level})
        return rows


class ClearanceForm(forms.ModelForm):
    class Meta:
        model = MedicalClearance
        fields = CLEARANCE_FIELDS
        widgets = {
            "cleared_on": DateInput(),
            "conditions": forms.Textarea(attrs={"rows": 2}),
        }


class AddendumForm(forms.ModelForm):
    class Meta:
        model = VisitAddendum
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class AdverseEventForm(forms.ModelForm):
    class Meta:
        model = AdverseEvent
        fields = ADVERSE_EVENT_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "follow_up": forms.Textarea(attrs={"rows": 2}),
        }
