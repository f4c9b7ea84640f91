from __future__ import annotations

from typing import Any

from django import forms

from touchstone.accounts.models import StaffMember
from touchstone.messaging.models import Channel, Kind, Status


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any"), *Status.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "any"), *Kind.choices], required=False)
    channel = forms.ChoiceField(choices=[("", "any"), *Channel.choices], required=False)


#: Places on the on-call list the page offers.
ON_CALL_SLOTS = 4


class OnCallForm(forms.Form):
    """The on-call list in order: a licensed clinician and their phone per place."""

    def __init__(self, *args: Any, clinicians: list[StaffMember], current: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.clinicians = {str(m.pk): m for m in clinicians}
        choices = [("", "—"), *((str(m.pk), m.display_name) for m in clinicians)]
        for i in range(ON_CALL_SLOTS):
            member = current[i] if i < len(current) else None
            self.fields[f"member_{i}"] = forms.ChoiceField(
                choices=choices, required=False, label=f"On call #{i + 1}",
                initial=str(member.pk) if member else "",
            )  # fmt: skip
            self.fields[f"phone_{i}"] = forms.CharField(
                max_length=30, required=False, label="Phone for alert texts",
                initial=member.phone if member else "",
            )  # fmt: skip

    def slots(self) -> list[tuple[StaffMember, str]]:
        data = self.cleaned_data
        return [
            (self.clinicians[data[f"member_{i}"]], data[f"phone_{i}"].strip())
            for i in range(ON_CALL_SLOTS)
            if data[f"member_{i}"]
        ]
