"""The form staff fill to send a client a private link."""

from __future__ import annotations

from typing import Any

from django import forms

from touchstone.accounts.models import Clinic
from touchstone.measures import instruments


class PortalLinkForm(forms.Form):
    instrument_ids = forms.MultipleChoiceField(
        label="Questionnaires", widget=forms.CheckboxSelectMultiple
    )
    valid_days = forms.IntegerField(
        min_value=1, max_value=14, initial=3, label="Link works for (days)"
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument_ids"].choices = instruments.choices(clinic)  # type: ignore[attr-defined]
