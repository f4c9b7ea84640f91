from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from touchstone.accounts.models import Clinic, time_zone_names
from touchstone.accounts.roles import Role
from touchstone.audit.models import Action
from touchstone.lib.phones import phone_e164

User = get_user_model()


def clinic_username(clinic: Clinic, name: str) -> str:
    """A login's username: the clinic's slug, a dot, and the name the owner chose. Slugs
    hold no dot and are unique, so no two clinics can want the same username, and the
    "not available" answer of the invitation form says nothing about another clinic's
    logins (docs/security.md)."""
    return f"{clinic.slug}.{name}"


class InviteForm(forms.Form):
    username = forms.RegexField(
        regex=r"^[\w.+-]+$",
        max_length=80,
        help_text="Letters, digits and . + - _ only. The login's username is the clinic's "
        "prefix, a dot and this name, e.g. harbour.nina.",
        error_messages={"invalid": "Use letters, digits and . + - _ only."},
    )
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="The invitation with a link to set a password goes here.")
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["username"].label = f"Username (after “{clinic.slug}.”)"

    def clean_username(self) -> str:
        username = clinic_username(self.clinic, self.cleaned_data["username"].strip())
        # Taken here or (a login from before the prefixes) anywhere: one neutral answer.
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is not available; choose another.")
        return username


class StaffChangeForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    is_active = forms.BooleanField(required=False, label="Active (may sign in)")
    phone = forms.CharField(
        max_length=30,
        required=False,
        label="Mobile phone",
        help_text="Risk alerts reach them by text message here when they are on call "
        "(a number without a country code is read as a US number).",
    )

    def clean_phone(self) -> str | None:
        """The number as typed (None: the post had no phone field, keep the stored one)."""
        if "phone" not in self.data:
            return None
        phone: str = self.cleaned_data["phone"].strip()
        if phone and phone_e164(phone) is None:
            raise forms.ValidationError(
                "That is not a phone number a text message can reach; include the area code."
            )
        return phone


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(time_zone_names())]


class ClinicSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        help_text=Clinic._meta.get_field("time_zone").help_text,
    )
    #: Left empty (or posted from a page older than the field, or by a script), these keep the
    #: clinic's value.
    KEEP_WHEN_EMPTY = (
        "idle_minutes",
        "change_criteria",
        "unsigned_note_hours",
        "quiet_hours_start",
        "quiet_hours_end",
        "reminder_lead_hours",
        "escalation_minutes",
        "delivery_lead_hours",
        "delivery_reminder_days",
        "delivery_valid_days",
        "alliance_after_visits",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.KEEP_WHEN_EMPTY:
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.KEEP_WHEN_EMPTY:
            if name not in self.errors and cleaned.get(name) in (None, ""):
                cleaned[name] = getattr(self.instance, name)
        return cleaned

    class Meta:
        model = Clinic
        fields = [
            "name",
            "time_zone",
            "require_two_factor",
            "idle_minutes",
            "crisis_line",
            "emergency_number",
            "change_criteria",
            "unsigned_note_hours",
            "address",
            "phone",
            "npi",
            "tax_id",
            "fee_97124",
            "quiet_hours_start",
            "quiet_hours_end",
            "reminder_lead_hours",
            "escalation_minutes",
            "delivery_enabled",
            "delivery_lead_hours",
            "delivery_reminder_days",
            "delivery_valid_days",
            "alliance_after_visits",
        ]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'REDCap sync'.")
    valid_days = forms.ChoiceField(
        label="Valid for",
        choices=[("30", "30 days"), ("90", "90 days"), ("365", "a year"), ("", "until revoked")],
        initial="90",
        required=False,
    )


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
