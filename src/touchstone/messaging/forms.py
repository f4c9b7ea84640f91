from __future__ import annotations

from django import forms

from touchstone.messaging.models import Channel, Kind, Status


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any"), *Status.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "any"), *Kind.choices], required=False)
    channel = forms.ChoiceField(choices=[("", "any"), *Channel.choices], required=False)
