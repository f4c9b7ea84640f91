from __future__ import annotations

import re

from django import forms

from touchstone.outcomes.analytics import INSTRUMENTS, POPULATIONS, OutcomeFilters

_ICD_PREFIX = re.compile(r"^[A-Z][0-9A-Z]{0,2}(\.[0-9A-Z]{0,4})?$")


class FilterForm(forms.Form):
    start = forms.DateField(
        label="Episodes started from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label="to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    diagnosis = forms.CharField(
        label="Diagnosis (ICD-10-CM code or prefix)",
        required=False,
        max_length=8,
        help_text="e.g. F32 for depressive episodes, F41.1 for generalized anxiety.",
    )
    population = forms.ChoiceField(
        label="Population",
        required=False,
        choices=[("", "Everyone"), *((key, words) for key, (words, _) in POPULATIONS.items())],
        help_text="Figures for a population are de-identified: counts of 1 to 10 are hidden.",
    )

    def clean_diagnosis(self) -> str:
        value = self.cleaned_data["diagnosis"].strip().upper()
        if value and not _ICD_PREFIX.match(value):
            raise forms.ValidationError("Give an ICD-10-CM code or its start, such as F32.")
        return value

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date cannot be before the start date.")
        return data

    def filters(self) -> OutcomeFilters:
        if not self.is_valid():
            return OutcomeFilters()
        population = self.cleaned_data["population"]
        extra = POPULATIONS[population][1] if population else ()
        return OutcomeFilters(
            start=self.cleaned_data["start"],
            end=self.cleaned_data["end"],
            diagnosis=self.cleaned_data["diagnosis"],
            instrument_ids=(*INSTRUMENTS, *extra),
            population=population,
        )


class MeasurePeriodForm(forms.Form):
    """The measurement period of the payer-grade measures (default: the last 12 months)."""

    start = forms.DateField(
        label="Measurement period from", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label="to", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the period cannot be before its start.")
        if start and end and (end - start).days > 3 * 366:
            self.add_error("end", "Choose a period of at most three years.")
        return data
