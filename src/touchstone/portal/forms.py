"""The form staff fill to send a client a private link."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from touchstone.accounts.models import Clinic
from touchstone.clients.models import Client, language_choices
from touchstone.measures import instruments


class PortalLinkForm(forms.Form):
    instrument_ids = forms.MultipleChoiceField(
        label="Questionnaires",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one questionnaire to send."},
    )
    valid_days = forms.IntegerField(
        min_value=1, max_value=14, initial=3, label="Link works for (days)"
    )

    language = forms.ChoiceField(
        label="Language of the questionnaires",
        required=False,
        help_text="The client's preferred language unless you change it. A questionnaire "
        "without an official translation is given in English, and says so.",
    )

    def __init__(
        self, *args: Any, clinic: Clinic, client: Client, due: Sequence[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = instruments.choices(clinic)
        self.fields["instrument_ids"].choices = choices  # type: ignore[attr-defined]
        offered = {value for value, _ in choices}
        # What the measurement plan makes due is ticked; staff may untick or add.
        self.fields["instrument_ids"].initial = [i for i in due if i in offered]
        self.fields["language"].choices = language_choices()  # type: ignore[attr-defined]
        self.fields["language"].initial = client.preferred_language
