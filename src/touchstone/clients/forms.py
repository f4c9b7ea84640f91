from __future__ import annotations

from typing import Any

from django import forms

from touchstone.clients.models import EDITABLE_FIELDS, Client


class DateInput(forms.DateInput):
    input_type = "date"


class ClientForm(forms.ModelForm):
    """Validation lives on the model (``Client.clean``) so the API applies the same rules."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A form posted without the choice (an older page, a script) keeps what is stored.
        self.fields["message_channel"].required = False
        self.fields["preferred_language"].required = False

    def clean_message_channel(self) -> str:
        return self.cleaned_data.get("message_channel") or self.instance.message_channel

    def clean_preferred_language(self) -> str:
        return self.cleaned_data.get("preferred_language") or self.instance.preferred_language

    class Meta:
        model = Client
        fields = EDITABLE_FIELDS
        widgets = {
            "date_of_birth": DateInput(),
            "consent_to_treatment_on": DateInput(),
            "research_consent_on": DateInput(),
            "delivery_date": DateInput(),
        }
        labels = {
            "consent_to_treatment": "Consents to treatment",
            "consent_to_treatment_on": "Consent to treatment given on",
            "research_consent": "Consents to de-identified research use",
            "research_consent_on": "Research consent given on",
        }


class ClientSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    archived = forms.BooleanField(required=False, label="Show archived")
