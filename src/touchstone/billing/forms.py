"""Forms of the money pages: the validation at the boundary (amounts are ``Decimal``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone

from touchstone.accounts.models import StaffMember
from touchstone.accounts.roles import roles_with
from touchstone.billing.models import (
    BillingPolicy,
    CommunitySlot,
    Fee,
    FeeTier,
    Method,
    PackagePlan,
    TierAssessment,
)
from touchstone.scheduling.models import Service


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = TierAssessment
        fields = ["household_size", "annual_income", "region", "verification", "review_on"]
        widgets = {"review_on": forms.DateInput(attrs={"type": "date"})}


class SellPackageForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=PackagePlan.objects.none(), label="Package")

    def __init__(self, *args: Any, clinic: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["plan"]).queryset = PackagePlan.objects.filter(
            clinic=clinic, is_active=True
        )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(choices=Method.choices)
    reference = forms.CharField(
        max_length=60, required=False, help_text="Check number, terminal receipt, transfer id."
    )


class RefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(max_length=200, required=False)


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=200)


class ChargeForm(forms.Form):
    appointment = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class FeeForm(forms.ModelForm):
    class Meta:
        model = Fee
        fields = ["service", "amount", "effective_from", "note"]
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, clinic: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = Service.objects.filter(
            clinic=clinic
        )


class TierForm(forms.ModelForm):
    class Meta:
        model = FeeTier
        fields = ["name", "up_to_percent", "fee_percent"]


class PlanForm(forms.ModelForm):
    class Meta:
        model = PackagePlan
        fields = ["name", "visits", "price", "valid_days", "service"]

    def __init__(self, *args: Any, clinic: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = Service.objects.filter(
            clinic=clinic
        )


class PolicyForm(forms.ModelForm):
    class Meta:
        model = BillingPolicy
        fields = ["no_show_fee", "late_cancel_fee"]


class SlotForm(forms.ModelForm):
    class Meta:
        model = CommunitySlot
        fields = ["staff", "starts_at", "ends_at", "tier"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args: Any, clinic: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = StaffMember.objects.filter(clinic=clinic, is_active=True, role__in=roles_with(
            "care.edit"
        ))  # fmt: skip
        cast(forms.ModelChoiceField, self.fields["staff"]).queryset = staff
        cast(forms.ModelChoiceField, self.fields["tier"]).queryset = FeeTier.objects.filter(
            clinic=clinic
        )


class BookSlotForm(forms.Form):
    slot = forms.ModelChoiceField(queryset=CommunitySlot.objects.none())
    service = forms.ModelChoiceField(queryset=Service.objects.none())

    def __init__(self, *args: Any, clinic: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["slot"]).queryset = CommunitySlot.objects.filter(
            clinic=clinic, appointment__isnull=True, starts_at__gte=timezone.now()
        ).select_related("tier")
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = Service.objects.filter(
            clinic=clinic, is_active=True
        )


class PeriodForm(forms.Form):
    """A statement's period (local dates, both included)."""

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError("The end must not be before the start.")
        return data
