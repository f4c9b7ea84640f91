"""The owner's scheduling settings pages (permission ``clinic.settings``), reached from the
clinic settings page: services, locations, rooms, weekly hours with breaks, a date's
exceptions, time off, and the booking policy. Thin: a form validates, an action writes (with
its audit event), a refused value comes back next to its field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from touchstone.accounts.access import MemberRequest, get_for, requires
from touchstone.scheduling import actions
from touchstone.scheduling.fees import current_fees
from touchstone.scheduling.models import (
    HoursException,
    Location,
    Room,
    Service,
    TimeOff,
    WeeklyHours,
    policy_for,
)
from touchstone.scheduling.settings_forms import (
    BookingPolicyForm,
    HoursExceptionForm,
    LocationForm,
    RoomForm,
    ServiceForm,
    TimeOffForm,
    WeeklyHoursForm,
    _ClinicForm,
)


@dataclass(frozen=True)
class Kind:
    """One kind of setting: its model, form, the actions that write it, and its words."""

    model: type[models.Model]
    form: type[_ClinicForm]
    create: Callable[..., Any]
    update: Callable[..., Any] | None
    remove: Callable[..., Any] | None
    noun: str
    related: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    "service": Kind(
        Service, ServiceForm, actions.do_create_service, actions.do_update_service, None, "service"
    ),
    "location": Kind(
        Location,
        LocationForm,
        actions.do_create_location,
        actions.do_update_location,
        None,
        "location",
    ),
    "room": Kind(
        Room, RoomForm, actions.do_create_room, actions.do_update_room, None, "room", ("location",)
    ),
    "hours": Kind(
        WeeklyHours,
        WeeklyHoursForm,
        actions.do_add_weekly_hours,
        actions.do_update_weekly_hours,
        actions.do_remove_weekly_hours,
        "weekly hours",
        ("staff__user", "location"),
    ),
    "exception": Kind(
        HoursException,
        HoursExceptionForm,
        actions.do_add_hours_exception,
        None,
        actions.do_remove_hours_exception,
        "exception",
        ("staff__user", "location"),
    ),
    "time_off": Kind(
        TimeOff,
        TimeOffForm,
        actions.do_add_time_off,
        None,
        actions.do_remove_time_off,
        "time off",
        ("staff__user",),
    ),
}


def _object(request: MemberRequest, kind: Kind, pk: int) -> Any:
    return get_for(request.member, kind.model._default_manager.select_related(*kind.related), pk=pk)


def _errors_to_form(form: _ClinicForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@requires("clinic.settings")
def overview(request: MemberRequest) -> HttpResponse:
    """Every scheduling setting of the clinic on one page, with links to change each."""
    clinic_id = request.member.clinic_id
    now = timezone.now()
    services = list(Service.objects.filter(clinic_id=clinic_id))
    fees = current_fees(clinic_id, [s.pk for s in services])
    return render(
        request,
        "scheduling/settings/overview.html",
        {
            "services": [(s, fees.get(s.pk)) for s in services],
            "locations": Location.objects.filter(clinic_id=clinic_id),
            "rooms": Room.objects.filter(clinic_id=clinic_id).select_related("location"),
            "hours": WeeklyHours.objects.filter(clinic_id=clinic_id)
            .select_related("staff__user", "location")
            .order_by("staff__user__first_name", "staff_id", "weekday", "starts"),
            "exceptions": HoursException.objects.filter(
                clinic_id=clinic_id, day__gte=timezone.localdate()
            ).select_related("staff__user", "location"),
            "time_off": TimeOff.objects.filter(
                clinic_id=clinic_id, ends_at__gte=now
            ).select_related("staff__user"),
            "policy": policy_for(request.member.clinic),
        },
    )


def _kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise Http404("No such setting.") from None


@requires("clinic.settings")
def create(request: MemberRequest, kind: str) -> HttpResponse:
    spec = _kind(kind)
    clinic = request.member.clinic
    form = spec.form(request.POST or None, clinic=clinic)
    if request.method == "POST" and form.is_valid():
        try:
            spec.create(request.actor, form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, f"The {spec.noun} is saved.")
            return redirect("scheduling:settings")
    return render(
        request,
        "scheduling/settings/form.html",
        {"form": form, "title": f"New {spec.noun}", "kind": kind},
    )


@requires("clinic.settings")
def edit(request: MemberRequest, kind: str, **ids: int) -> HttpResponse:
    spec = _kind(kind)
    obj = _object(request, spec, next(iter(ids.values())))
    if spec.update is None:
        raise Http404("This setting is removed and added again, not edited.")
    form = spec.form(request.POST or None, instance=obj, clinic=request.member.clinic)
    if request.method == "POST" and form.is_valid():
        fresh = _object(request, spec, obj.pk)  # the form changed ``obj`` while validating
        try:
            changed = spec.update(request.actor, fresh, form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect("scheduling:settings")
    return render(
        request,
        "scheduling/settings/form.html",
        {"form": form, "title": f"Change {spec.noun}", "kind": kind, "obj": obj},
    )


@requires("clinic.settings")
@require_POST
def remove(request: MemberRequest, kind: str, **ids: int) -> HttpResponse:
    spec = _kind(kind)
    obj = _object(request, spec, next(iter(ids.values())))
    if spec.remove is None:
        raise Http404("This setting is made inactive, not removed.")
    spec.remove(request.actor, obj)
    messages.success(request, f"The {spec.noun} is removed.")
    return redirect("scheduling:settings")


@requires("clinic.settings")
def booking_policy(request: MemberRequest) -> HttpResponse:
    clinic = request.member.clinic
    form = BookingPolicyForm(request.POST or None, instance=policy_for(clinic), clinic=clinic)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_booking_policy(request.actor, form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, "The booking policy is saved.")
            return redirect("scheduling:settings")
    return render(
        request,
        "scheduling/settings/form.html",
        {"form": form, "title": "Booking policy", "kind": "policy"},
    )
