from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from touchstone.care.healthcare_use import HEALTHCARE_USE_FIELDS, HealthcareUse


class PeriodForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the period cannot be before its start.")
        return data

    @staticmethod
    def default_initial() -> dict[str, dt.date]:
        today = timezone.localdate()
        return {"start": today - dt.timedelta(days=182), "end": today}


class HealthcareUseForm(forms.ModelForm):
    class Meta:
        model = HealthcareUse
        fields = HEALTHCARE_USE_FIELDS
        widgets = {"reported_on": forms.DateInput(attrs={"type": "date"})}
