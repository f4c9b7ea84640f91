"""Forms of the claims pages: validation at the boundary."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from touchstone.accounts.models import StaffMember
from touchstone.claims.models import (
    COVERAGE_FIELDS,
    PAYER_FIELDS,
    PROVIDER_FIELDS,
    SETTINGS_FIELDS,
    ClaimSettings,
    Coverage,
    Payer,
    ProviderNumbers,
)

#: The most ids one form posts (a claim batch, an 837P file).
MAX_IDS = 200


class CoverageForm(forms.ModelForm):
    class Meta:
        model = Coverage
        fields = COVERAGE_FIELDS
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
            "subscriber_date_of_birth": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, clinic: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["payer"]).queryset = Payer.objects.filter(
            clinic=clinic
        )


class PayerForm(forms.ModelForm):
    class Meta:
        model = Payer
        fields = PAYER_FIELDS


class ProviderForm(forms.ModelForm):
    class Meta:
        model = ProviderNumbers
        fields = PROVIDER_FIELDS

    def __init__(self, *args: Any, clinic: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["staff"]).queryset = StaffMember.objects.filter(
            clinic=clinic, is_active=True
        )

    def validate_unique(self) -> None:
        """One row per staff member: saving again updates it (``do_save_provider_numbers``)."""


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ClaimSettings
        fields = SETTINGS_FIELDS


class IdsForm(forms.Form):
    """Ids ticked in a list (visits to claim, claims to send)."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=True)

    def __init__(self, *args: Any, choices: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["ids"])
        field.choices = [(str(i), str(i)) for i in choices]

    def clean_ids(self) -> list[int]:
        ids = self.cleaned_data["ids"]
        if len(ids) > MAX_IDS:
            raise forms.ValidationError(f"At most {MAX_IDS} at once.")
        return list(ids)


class RemittanceForm(forms.Form):
    file = forms.FileField(label="835 file", help_text="The payer's remittance (X12 835 5010).")

    #: A remittance larger than this is refused before it is read (bytes).
    MAX_BYTES = 5_000_000

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        try:
            return str(upload.read().decode("ascii"))
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "This is not an X12 text file (it has bytes that are not ASCII)."
            ) from None
