"""The owner's scheduling settings forms: services, locations, rooms, weekly hours,
exceptions, time off and the booking policy. Model forms over the fields the actions accept
(``models.*_FIELDS``), with the choices narrowed to the clinic's own rows; the model's
``clean()`` gives the messages, and the actions validate again before they write."""

from __future__ import annotations

from typing import Any

from django import forms

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.scheduling.models import (
    BOOKING_POLICY_FIELDS,
    HOURS_EXCEPTION_FIELDS,
    LOCATION_FIELDS,
    ROOM_FIELDS,
    SERVICE_FIELDS,
    TIME_OFF_FIELDS,
    WEEKLY_HOURS_FIELDS,
    BookingPolicy,
    HoursException,
    Location,
    Room,
    Service,
    TimeOff,
    WeeklyHours,
)
from touchstone.scheduling.slots import bookable_staff

_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class _ClinicForm(forms.ModelForm):
    """A model form for one clinic: the instance carries the clinic, so the model's own
    checks (e.g. "a location of this clinic") run, and foreign keys list its rows only."""

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.clinic = clinic
        self.clinic = clinic
        if "staff" in self.fields:
            treating = [m.pk for m in bookable_staff(clinic)]
            self.fields["staff"] = _StaffChoice(
                label="Staff member",
                queryset=StaffMember.objects.filter(pk__in=treating).select_related("user"),
            )
        if "location" in self.fields:
            self.fields["location"].queryset = Location.objects.filter(  # type: ignore[attr-defined]
                clinic_id=clinic.pk, is_active=True
            )

    def _unique_name(self, model: type[Any], message: str) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        taken = model.objects.filter(clinic_id=self.clinic.pk, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if name and taken.exists():
            raise forms.ValidationError(message)
        return name


class ServiceForm(_ClinicForm):
    class Meta:
        model = Service
        fields = SERVICE_FIELDS

    def clean_name(self) -> str:
        return self._unique_name(Service, "The clinic already has a service of this name.")


class LocationForm(_ClinicForm):
    class Meta:
        model = Location
        fields = LOCATION_FIELDS

    def clean_name(self) -> str:
        return self._unique_name(Location, "The clinic already has a location of this name.")


class RoomForm(_ClinicForm):
    class Meta:
        model = Room
        fields = ROOM_FIELDS


class WeeklyHoursForm(_ClinicForm):
    class Meta:
        model = WeeklyHours
        fields = WEEKLY_HOURS_FIELDS
        widgets = {
            "starts": _TIME,
            "ends": _TIME,
            "break_starts": _TIME,
            "break_ends": _TIME,
            "valid_from": _DATE,
            "valid_until": _DATE,
        }


class HoursExceptionForm(_ClinicForm):
    class Meta:
        model = HoursException
        fields = HOURS_EXCEPTION_FIELDS
        widgets = {
            "day": _DATE,
            "starts": _TIME,
            "ends": _TIME,
            "break_starts": _TIME,
            "break_ends": _TIME,
        }


class TimeOffForm(_ClinicForm):
    class Meta:
        model = TimeOff
        fields = TIME_OFF_FIELDS
        widgets = {"starts_at": _WHEN, "ends_at": _WHEN}


class BookingPolicyForm(_ClinicForm):
    class Meta:
        model = BookingPolicy
        fields = BOOKING_POLICY_FIELDS
