"""What a client submits on their booking pages: a service, a therapist (or anyone) and a
start time the page offered (an ISO instant; the action checks it is still free)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from touchstone.accounts.models import StaffMember
from touchstone.scheduling.models import Service

ANY = "any"


def _staff_choices(staff: list[StaffMember]) -> list[tuple[str, str]]:
    return [(ANY, str(_("Anyone available"))), *((str(m.pk), str(m.display_name)) for m in staff)]


class SlotSearchForm(forms.Form):
    """The GET form: which service, with whom, from which date."""

    service = forms.ChoiceField(label=_("Service"))
    staff = forms.ChoiceField(label=_("With"), required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args: Any, services: list[Service], staff: list[StaffMember], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [(str(s.pk), str(s)) for s in services]  # type: ignore[attr-defined]
        self.fields["staff"].choices = _staff_choices(staff)  # type: ignore[attr-defined]
        self.services = {str(s.pk): s for s in services}

    def chosen_service(self) -> Service:
        return self.services[self.cleaned_data["service"]]

    def chosen_staff_id(self) -> int | None:
        value = self.cleaned_data.get("staff") or ANY
        return None if value == ANY else int(value)


class SlotChoiceForm(forms.Form):
    """The POST form: the time chosen (and, when booking, the service and staff searched)."""

    service = forms.IntegerField(required=False, min_value=1)
    staff = forms.CharField(required=False, max_length=12)
    slot = forms.CharField(max_length=40, error_messages={"required": _("Choose a time.")})

    def clean_slot(self) -> dt.datetime:
        try:
            value = dt.datetime.fromisoformat(self.cleaned_data["slot"])
        except ValueError:
            raise forms.ValidationError(_("Choose one of the times shown.")) from None
        if value.tzinfo is None:
            raise forms.ValidationError(_("Choose one of the times shown."))
        return value

    def clean_staff(self) -> int | None:
        value = (self.cleaned_data.get("staff") or ANY).strip()
        if value == ANY:
            return None
        if not value.isdigit():
            raise forms.ValidationError(_("Choose who you would like to see."))
        return int(value)


class CancelForm(forms.Form):
    accept_late = forms.BooleanField(
        required=False, label=_("I understand this is recorded as a late cancellation.")
    )
