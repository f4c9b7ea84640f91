"""Forms of controlled studies: the protocol (design and amendments), consent text, enrolment."""

from __future__ import annotations

from typing import Any

from django import forms

from touchstone.clients.models import Client
from touchstone.instruments.catalogue import short_name
from touchstone.science.instruments.loader import instrument_ids
from touchstone.trials.models import Design, ExclusionReason


def _primary_choices() -> list[tuple[str, str]]:
    return [(i, short_name(i)) for i in instrument_ids() if not i.startswith("rating")]


class ProtocolForm(forms.Form):
    title = forms.CharField(max_length=200)
    design = forms.ChoiceField(choices=Design.choices)
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    eligibility = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Inclusion and exclusion criteria."
    )
    control_label = forms.CharField(
        label="First arm (control)", max_length=80, initial="Wait-list (delayed start)"
    )
    intervention_label = forms.CharField(
        label="Second arm", max_length=80, initial="Immediate massage"
    )
    instrument_id = forms.ChoiceField(label="Primary outcome", choices=_primary_choices)
    weeks = forms.IntegerField(label="Primary time point (weeks)", min_value=1, max_value=104)
    window_days = forms.IntegerField(label="Follow-up window (± days)", min_value=0, initial=14)
    baseline_days = forms.IntegerField(
        label="Baseline within (days before enrolment)", min_value=0, max_value=90, initial=30
    )
    ratio = forms.CharField(label="Allocation ratio", initial="1:1", max_length=20)
    block_multipliers = forms.CharField(
        label="Block sizes (multiples of the ratio's sum)", initial="1,2,3", max_length=20
    )
    stratify_baseline_at = forms.IntegerField(
        label="Stratify by baseline at or above", required=False
    )
    difference = forms.FloatField(label="Difference worth detecting (points)", min_value=0)
    sd = forms.FloatField(label="Standard deviation", min_value=0)
    alpha = forms.FloatField(initial=0.05, min_value=0, max_value=0.5)
    power = forms.FloatField(initial=0.8, min_value=0, max_value=1)
    correlation = forms.FloatField(
        label="Baseline–follow-up correlation", initial=0.5, min_value=-1, max_value=1
    )
    dropout = forms.FloatField(label="Expected loss to follow-up", initial=0.15, min_value=0)
    analysis_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Analysis notes"
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Reason for the amendment",
        help_text="Required once the protocol is registered.",
    )


class ConsentTextForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), label="Consent text")


class EnrolForm(forms.Form):
    """Assess one client; if eligible and consenting, enrol (the arm is shown only after)."""

    client: forms.ModelChoiceField[Client] = forms.ModelChoiceField(queryset=Client.objects.none())
    eligible = forms.TypedChoiceField(
        choices=[("yes", "Meets the eligibility criteria"), ("no", "Does not")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    consent = forms.TypedChoiceField(
        choices=[("yes", "Gave consent to the text shown"), ("no", "Declined")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        required=False,
    )
    consented_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    exclusion_reason = forms.ChoiceField(
        choices=[("", "—"), *ExclusionReason.choices], required=False
    )

    def __init__(self, *args: Any, clients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clients

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("eligible") is True and data.get("consent") is True:
            if not data.get("consented_on"):
                self.add_error("consented_on", "The date of consent is required.")
        elif data.get("eligible") is True and data.get("consent") is not False:
            self.add_error("consent", "Record whether the client consented.")
        return data


class ReceiptForm(forms.Form):
    received = forms.BooleanField(required=False, label="Received the allocated care")
    not_received_reason = forms.CharField(max_length=200, required=False)
