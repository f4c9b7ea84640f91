"""The form staff fill to send a client a private link."""

from __future__ import annotations

from collections.abc import Sequence
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

    def __init__(self, *args: Any, clinic: Clinic, due: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = instruments.choices(clinic)
        self.fields["instrument_ids"].choices = choices  # type: ignore[attr-defined]
        offered = {value for value, _ in choices}
        # What the measurement plan makes due is ticked; staff may untick or add.
        self.fields["instrument_ids"].initial = [i for i in due if i in offered]
