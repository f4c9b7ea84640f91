from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from touchstone.accounts.models import Clinic, time_zone_names
from touchstone.accounts.roles import Role
from touchstone.audit.models import Action

User = get_user_model()


class InviteForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="The invitation with a link to set a password goes here.")
    role = forms.ChoiceField(choices=Role.choices)

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken; choose another.")
        return username


class StaffChangeForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    is_active = forms.BooleanField(required=False, label="Active (may sign in)")


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(time_zone_names())]


class ClinicSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        help_text=Clinic._meta.get_field("time_zone").help_text,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left empty (or posted from a page older than the field), these keep the clinic's value.
        self.fields["unsigned_note_hours"].required = False
        self.fields["change_criteria"].required = False

    def clean_unsigned_note_hours(self) -> int:
        value = self.cleaned_data.get("unsigned_note_hours")
        return int(self.instance.unsigned_note_hours if value is None else value)

    class Meta:
        model = Clinic
        fields = [
            "name",
            "time_zone",
            "require_two_factor",
            "crisis_line",
            "emergency_number",
            "change_criteria",
            "unsigned_note_hours",
            "address",
            "phone",
            "npi",
            "tax_id",
            "fee_97124",
        ]

    def clean_change_criteria(self) -> str:
        # A post without the field (a page from before it existed) keeps the clinic's choice.
        value: str = self.cleaned_data.get("change_criteria") or self.instance.change_criteria
        return value


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'REDCap sync'.")


class OTPCodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\d{6}$",
        max_length=6,
        error_messages={"invalid": "Enter the 6-digit code from your authenticator app."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False)
    object_type = forms.CharField(required=False, max_length=60)
    object_id = forms.CharField(required=False, max_length=64)
    actor = forms.CharField(required=False, max_length=150)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "any"), *Action.choices]  # type: ignore[attr-defined]
