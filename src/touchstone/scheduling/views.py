"""Calendar pages: the day and week views (per staff member or the whole clinic), booking,
moving, and the status buttons (confirm, check in, cancel, no-show). Thin: fetch through the
access helpers, validate with a form, write through ``scheduling.actions``."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from touchstone.accounts.access import MemberRequest, public, requires
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.lib.http import client_address
from touchstone.scheduling import actions
from touchstone.scheduling.access import get_appointment_for
from touchstone.scheduling.feeds import build_calendar, feed_appointments, find_feed
from touchstone.scheduling.forms import AppointmentForm, MoveForm, client_options
from touchstone.scheduling.models import TRANSITIONS, Appointment, CalendarFeed, Status, policy_for
from touchstone.scheduling.selectors import calendar, week_grid
from touchstone.scheduling.slots import bookable_staff


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _errors_to_form(form: BaseForm, error: ValidationError) -> None:
    for name, errors in error.message_dict.items():
        target = {"starts_at": "time", "ends_at": "time", "status": None}.get(name, name)
        form.add_error(target if target in form.fields else None, errors)


@requires("schedule.view")
def calendar_page(request: MemberRequest) -> HttpResponse:
    """``?view=day|week&date=YYYY-MM-DD&staff=ID``: a week starts on the date's Monday."""
    view = "week" if request.GET.get("view") == "week" else "day"
    day = _day(request.GET.get("date"))
    staff_id = _int(request.GET.get("staff"))
    first = day - dt.timedelta(days=day.weekday()) if view == "week" else day
    length = 7 if view == "week" else 1
    clinic = request.member.clinic
    # The whole clinic's week is a grid of counts per staff member and day (its cards are on
    # each day view): 1,500 cards on one page took a second to render.
    grid = view == "week" and not staff_id
    columns = [] if grid else calendar(clinic, first, length, staff_id=staff_id)
    rows = week_grid(clinic, first) if grid else []
    record(request.actor, Action.LIST, object_type="scheduling.appointment", detail="calendar")
    step = dt.timedelta(days=length)

    def link(**change: Any) -> str:
        query = {"view": view, "date": day.isoformat(), **({"staff": staff_id} if staff_id else {})}
        query.update({k: v for k, v in change.items() if v is not None})
        return f"{reverse('scheduling:calendar')}?{urlencode(query)}"

    return render(
        request,
        "scheduling/calendar.html",
        {
            "view": view,
            "day": day,
            "first": first,
            "last": first + step - dt.timedelta(days=1),
            "columns": columns,
            "rows": rows,
            "grid": grid,
            "days": [first + dt.timedelta(days=n) for n in range(length)],
            "staff": bookable_staff(clinic),
            "staff_id": staff_id,
            "today": timezone.localdate(),
            "prev_url": link(date=(day - step).isoformat()),
            "next_url": link(date=(day + step).isoformat()),
            "today_url": link(date=timezone.localdate().isoformat()),
            "day_url": link(view="day"),
            "week_url": link(view="week"),
            # Reversed once for every card (``{{ appointment_path }}{{ pk }}/``).
            "appointment_path": _appointment_path(),
        },
    )


def _appointment_path() -> str:
    """``/calendar/appointments/``: the appointment page's path without its id."""
    path = reverse("scheduling:appointment", args=[0])
    assert path.endswith("/0/"), path  # the card appends "<pk>/"
    return path[:-2]


@requires("schedule.book")
def appointment_new(request: MemberRequest) -> HttpResponse:
    clinic = request.member.clinic
    query = request.GET.get("client_q", "")[:100]
    if request.method == "POST":
        form = AppointmentForm(request.POST, clinic=clinic)
        if form.is_valid():
            try:
                override = form.cleaned_data["override_reason"]
                if form.cleaned_data["weeks"]:
                    booked = actions.do_book_series(
                        request.actor,
                        form.booking(),
                        form.cleaned_data["weeks"],
                        override_reason=override,
                    )
                    first = booked[0]
                    messages.success(request, f"Booked weekly for {len(booked)} weeks.")
                else:
                    first = actions.do_book_appointment(
                        request.actor, form.booking(), override_reason=override
                    )
                    messages.success(request, "Appointment booked.")
                return redirect(_calendar_url(first))
            except ValidationError as error:
                _errors_to_form(form, error)
    else:
        initial = {
            "client": _int(request.GET.get("client")),
            "staff": _int(request.GET.get("staff")),
            "day": _day(request.GET.get("date")),
            "time": request.GET.get("time") or "09:00",
        }
        form = AppointmentForm(initial=initial, clinic=clinic, client_query=query)
    # The form lists the clinic's clients by name: an audited read.
    record(request.actor, Action.LIST, object_type="clients.client", detail="booking form")
    return render(
        request,
        "scheduling/appointment_form.html",
        {
            "form": form,
            "title": "Book appointment",
            "client_q": query,
            # The search form keeps the booking's other choices from the query string.
            "keep": {k: v for k, v in request.GET.items() if k in ("date", "staff", "time")},
        },
    )


@requires("schedule.book")
def client_search(request: MemberRequest) -> HttpResponse:
    """``?q=``: the booking form's client options that match (at most ``CLIENT_OPTIONS``), as
    ``<option>`` elements client-picker.js puts into the list. A fixed number of queries."""
    query = request.GET.get("q", "")[:100]
    options = client_options(request.member.clinic, query, _int(request.GET.get("client")))
    record(request.actor, Action.LIST, object_type="clients.client", detail="client search")
    return render(
        request,
        "scheduling/_client_options.html",
        {"options": options, "chosen": _int(request.GET.get("client"))},
    )


def _calendar_url(appointment: Appointment) -> str:
    day = timezone.localdate(appointment.starts_at)
    return f"{reverse('scheduling:calendar')}?{urlencode({'view': 'day', 'date': day})}"


#: The status buttons a page offers for each status (check in is its own action).
BUTTONS = {
    Status.CONFIRMED: "Confirm",
    Status.ARRIVED: "Check in",
    Status.NO_SHOW: "No-show",
    Status.CANCELLED: "Cancel",
}


@requires("schedule.view")
def appointment_detail(request: MemberRequest, appointment_id: int) -> HttpResponse:
    appointment = get_appointment_for(request.member, appointment_id)
    return _detail(request, appointment, _move_form(appointment))


def _move_form(appointment: Appointment, data: Any = None) -> MoveForm:
    local = timezone.localtime(appointment.starts_at)
    initial = {
        "day": local.date(),
        "time": local.time(),
        "staff": appointment.staff_id,
        "room": appointment.room_id,
    }
    return MoveForm(data, initial=initial, clinic=appointment.clinic)


def _detail(request: MemberRequest, appointment: Appointment, form: MoveForm) -> HttpResponse:
    record(request.actor, Action.READ, appointment)
    allowed = TRANSITIONS[appointment.status]
    buttons = [(status, label) for status, label in BUTTONS.items() if status in allowed]
    return render(
        request,
        "scheduling/appointment.html",
        {
            "appointment": appointment,
            "client": appointment.client,
            "form": form if appointment.is_upcoming else None,
            "buttons": buttons,
            "late": appointment.is_upcoming and actions.is_late(appointment),
            "calendar_url": _calendar_url(appointment),
            "history": appointment.history.select_related("history_user")[:20],
        },
    )


@requires("schedule.book")
def appointment_move(request: MemberRequest, appointment_id: int) -> HttpResponse:
    appointment = get_appointment_for(request.member, appointment_id)
    if request.method != "POST":
        return redirect("scheduling:appointment", appointment.pk)
    form = _move_form(appointment, request.POST)
    if form.is_valid():
        try:
            changed = actions.do_move_appointment(
                request.actor,
                appointment,
                form.move(),
                override_reason=form.cleaned_data["override_reason"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
            fresh = get_appointment_for(request.member, appointment_id)
            return _detail(request, fresh, form)
        messages.success(request, "Appointment moved." if changed else "Nothing changed.")
        return redirect(_calendar_url(appointment))
    return _detail(request, get_appointment_for(request.member, appointment_id), form)


@requires("schedule.book")
@require_POST
def appointment_status(request: MemberRequest, appointment_id: int) -> HttpResponse:
    """POST ``status`` (confirmed, arrived, cancelled, no_show) and, for a cancellation,
    ``by_client`` and ``reason``; the cancellation policy decides whether it is late. A
    check-in takes whoever may document visits straight to the visit it created."""
    appointment = get_appointment_for(request.member, appointment_id)
    status = request.POST.get("status", "")
    try:
        if status == Status.CANCELLED:
            actions.do_cancel_appointment(
                request.actor,
                appointment,
                by_client=request.POST.get("by_client") == "1",
                reason=request.POST.get("reason", ""),
            )
        else:
            actions.do_set_status(request.actor, appointment, status)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("scheduling:appointment", appointment.pk)
    label = Status(appointment.status).label
    messages.success(request, f"{label}: {timezone.localtime(appointment.starts_at):%H:%M}.")
    if appointment.visit_id and request.member.can("care.edit"):
        return redirect("care:visit_edit", appointment.visit_id)
    return redirect(_calendar_url(appointment))


# Calendar feeds ---------------------------------------------------------------------------


@requires("schedule.view")
def feed_page(request: MemberRequest) -> HttpResponse:
    """One's own calendar feed: make a new secret URL (shown once; the old one stops) or stop
    it. POST ``action`` = ``create`` or ``revoke``."""
    feed = CalendarFeed.objects.active().filter(staff_id=request.member.pk).first()
    url = None
    if request.method == "POST":
        if request.POST.get("action") == "create":
            feed, secret = actions.do_create_calendar_feed(request.actor)
            url = request.build_absolute_uri(reverse("scheduling:feed_ics", args=[secret]))
        elif request.POST.get("action") == "revoke" and feed is not None:
            actions.do_revoke_calendar_feed(request.actor, feed)
            messages.success(request, "The calendar feed no longer works.")
            return redirect("scheduling:feed")
    return render(
        request,
        "scheduling/feed.html",
        {"feed": feed, "url": url, "initials": policy_for(request.member.clinic).feed_initials},
    )


@public
@never_cache
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed a calendar app polls: no login, the secret URL is the key (the access log
    masks it). Recorded as a read of the staff member's appointments."""
    feed = find_feed(token)
    if feed is None:
        raise Http404("No such calendar feed.")
    appointments = feed_appointments(feed)
    actor = Actor.of_member(feed.staff, "web", client_address(request))
    record(
        actor,
        Action.LIST,
        object_type="scheduling.appointment",
        detail=f"calendar feed {feed.pk}, {len(appointments)} appointments",
    )
    response = HttpResponse(build_calendar(feed, appointments), content_type="text/calendar")
    response["Content-Disposition"] = 'inline; filename="touchstone.ics"'
    response["Cache-Control"] = "no-store"
    return response
