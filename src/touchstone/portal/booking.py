"""The client's booking pages, reached through their private link (no account): book a
visit, move or cancel their own upcoming appointments, under the clinic's booking policy.

Thin: the link is the access check (``find_link``), every POST is counted against the
link's limits (``throttle``), and the writes are ``scheduling.online``'s actions, which end
in the same conflict rule as every other booking. The pages show the client's own
appointments only, never scores, and every time in the clinic's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from touchstone.accounts.access import public
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.lib.language import activate_for_client
from touchstone.portal.access import gone, portal_actor
from touchstone.portal.booking_forms import CancelForm, SlotChoiceForm, SlotSearchForm
from touchstone.portal.models import PortalLink, find_link
from touchstone.portal.throttle import allow_booking_attempt
from touchstone.scheduling.actions import is_late
from touchstone.scheduling.models import Appointment, policy_for
from touchstone.scheduling.online import (
    TAKEN,
    check_changeable,
    do_book_online,
    do_cancel_online,
    do_reschedule_online,
    offered_slots,
    online_services,
    refusal,
    upcoming_for,
)
from touchstone.scheduling.slots import Slot, bookable_staff

#: Days of free times shown at once.
DAYS_SHOWN = 7
DONE = {
    "booked": gettext_lazy("Your appointment is booked."),
    "moved": gettext_lazy("Your appointment is moved."),
    "cancelled": gettext_lazy("Your appointment is cancelled."),
}


def booking_url(link: PortalLink, token: str) -> str | None:
    """Where the client books their next visit with this link, when the clinic takes online
    bookings (shown on the link's other pages); None otherwise."""
    if not policy_for(link.clinic).online_booking:
        return None
    return reverse("portal:book", args=[token])


def _link(request: HttpRequest, token: str) -> PortalLink | None:
    link = find_link(token, spent_ok=True)
    if link is not None:
        timezone.activate(link.clinic.zone)  # every time on these pages is the clinic's
        activate_for_client(request, link.client)  # and every word in the client's language
    return link


def _own_appointment(link: PortalLink, appointment_id: int) -> Appointment:
    """One of the link's client's own appointments; any other is 404."""
    appointment = (
        Appointment.objects.select_related("clinic", "client", "service", "staff__user", "location")
        .filter(clinic_id=link.clinic_id, client_id=link.client_id, pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


def _too_many(request: HttpRequest, link: PortalLink) -> HttpResponse:
    return render(request, "portal/booking/too_many.html", {"clinic": link.clinic}, status=429)


def _days(
    slots: list[Slot], first: dt.date, names: dict[int, str]
) -> list[tuple[dt.date, list[tuple[Slot, str]]]]:
    """The week's free times by the clinic's date, each with the staff member's name."""
    by_day: dict[dt.date, list[tuple[Slot, str]]] = defaultdict(list)
    for slot in slots:
        by_day[timezone.localtime(slot.start).date()].append((slot, names.get(slot.staff_id, "")))
    return [
        (first + dt.timedelta(days=n), by_day[first + dt.timedelta(days=n)])
        for n in range(DAYS_SHOWN)
    ]


def _search(request: HttpRequest, link: PortalLink, services: list[Any]) -> SlotSearchForm:
    staff = bookable_staff(link.clinic)
    data = request.GET if "service" in request.GET else None
    form = SlotSearchForm(
        data,
        services=services,
        staff=staff,
        initial={"service": str(services[0].pk) if services else "", "staff": "any"},
    )
    form.names = {m.pk: m.display_name for m in staff}  # type: ignore[attr-defined]
    return form


def _window(form: SlotSearchForm) -> dt.date:
    today = timezone.localdate()
    start = form.cleaned_data.get("start") if form.is_bound and form.is_valid() else None
    return max(start or today, today)


@public
@never_cache
def book(request: HttpRequest, token: str) -> HttpResponse:
    """The booking page: the client's upcoming appointments and the free times to book."""
    link = _link(request, token)
    if link is None:
        return gone(request, token)
    actor = portal_actor(request, link)
    client, policy = link.client, policy_for(link.clinic)
    services = online_services(policy)
    problem = refusal(client, policy)
    choice = SlotChoiceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not allow_booking_attempt(actor, link):
            return _too_many(request, link)
        if choice.is_valid():
            service = next((s for s in services if s.pk == choice.cleaned_data["service"]), None)
            try:
                if service is None:
                    raise ValidationError(_("This service cannot be booked online."))
                do_book_online(
                    actor,
                    client,
                    service,
                    choice.cleaned_data["slot"],
                    choice.cleaned_data["staff"],
                )
            except ValidationError as error:
                choice.add_error(None, error.messages)
            else:
                return redirect(f"{reverse('portal:book', args=[token])}?done=booked")
    search = _search(request, link, services)
    context: dict[str, Any] = {
        "link": link,
        "token": token,
        "clinic": link.clinic,
        "client": client,
        "policy": policy,
        "problem": problem,
        "upcoming": _with_changes(list(upcoming_for(client)), policy.online_booking),
        "search": search,
        "choice": choice,
        "done": DONE.get(request.GET.get("done", "")),
    }
    if problem is None and services and (not search.is_bound or search.is_valid()):
        service = search.chosen_service() if search.is_bound else services[0]
        staff_id = search.chosen_staff_id() if search.is_bound else None
        first = _window(search)
        slots = offered_slots(
            policy, service, staff_id, first, first + dt.timedelta(days=DAYS_SHOWN - 1)
        )
        context.update(
            service=service,
            staff_value=str(staff_id) if staff_id else "any",
            days=_days(slots, first, search.names),  # type: ignore[attr-defined]
            first=first,
            next_start=first + dt.timedelta(days=DAYS_SHOWN),
        )
    record(actor, Action.READ, client, detail="portal booking")
    return render(request, "portal/booking/book.html", context, status=_status(choice))


def _status(choice: SlotChoiceForm) -> int:
    """409 when the time chosen was taken (the page offers the times still free), else 200."""
    taken = any(_(TAKEN) in e for e in choice.non_field_errors())
    return 409 if taken else 200


def _with_changes(
    appointments: list[Appointment], online: bool
) -> list[tuple[Appointment, bool, bool]]:
    """Each upcoming appointment with whether it may still be moved online and whether
    cancelling it now would be late."""
    rows = []
    for appointment in appointments:
        late = is_late(appointment)
        rows.append((appointment, online and not late, late))
    return rows


@public
@never_cache
def move(request: HttpRequest, token: str, appointment_id: int) -> HttpResponse:
    """Move one's own appointment to another free time (same service)."""
    link = _link(request, token)
    if link is None:
        return gone(request, token)
    appointment = _own_appointment(link, appointment_id)
    actor = portal_actor(request, link)
    policy = policy_for(link.clinic)
    choice = SlotChoiceForm(request.POST if request.method == "POST" else None)
    problem = None if policy.online_booking else _("Please call the clinic to move it.")
    try:
        check_changeable(appointment)
    except ValidationError as error:
        problem = " ".join(error.messages)
    if request.method == "POST" and problem is None:
        if not allow_booking_attempt(actor, link):
            return _too_many(request, link)
        if choice.is_valid():
            try:
                do_reschedule_online(
                    actor, appointment, choice.cleaned_data["slot"], choice.cleaned_data["staff"]
                )
            except ValidationError as error:
                choice.add_error(None, error.messages)
                appointment = _own_appointment(link, appointment_id)  # unchanged
            else:
                return redirect(f"{reverse('portal:book', args=[token])}?done=moved")
    search = _search(request, link, [appointment.service])
    context: dict[str, Any] = {
        "clinic": link.clinic,
        "token": token,
        "appointment": appointment,
        "problem": problem,
        "search": search,
        "choice": choice,
    }
    if problem is None and (not search.is_bound or search.is_valid()):
        staff_id = search.chosen_staff_id() if search.is_bound else appointment.staff_id
        first = _window(search)
        slots = offered_slots(
            policy,
            appointment.service,
            staff_id,
            first,
            first + dt.timedelta(days=DAYS_SHOWN - 1),
            ignore=appointment,
        )
        context.update(
            service=appointment.service,
            staff_value=str(staff_id) if staff_id else "any",
            days=_days(slots, first, search.names),  # type: ignore[attr-defined]
            first=first,
            next_start=first + dt.timedelta(days=DAYS_SHOWN),
        )
    record(actor, Action.READ, appointment, detail="portal booking, move")
    return render(request, "portal/booking/move.html", context, status=_status(choice))


@public
@never_cache
def cancel(request: HttpRequest, token: str, appointment_id: int) -> HttpResponse:
    """Cancel one's own appointment; inside the notice only as an accepted late cancellation."""
    link = _link(request, token)
    if link is None:
        return gone(request, token)
    appointment = _own_appointment(link, appointment_id)
    actor = portal_actor(request, link)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not allow_booking_attempt(actor, link):
            return _too_many(request, link)
        if form.is_valid():
            try:
                do_cancel_online(actor, appointment, accept_late=form.cleaned_data["accept_late"])
            except ValidationError as error:
                form.add_error(None, error.messages)
                appointment = _own_appointment(link, appointment_id)
            else:
                return redirect(f"{reverse('portal:book', args=[token])}?done=cancelled")
    record(actor, Action.READ, appointment, detail="portal booking, cancel")
    return render(
        request,
        "portal/booking/cancel.html",
        {
            "clinic": link.clinic,
            "token": token,
            "appointment": appointment,
            "late": is_late(appointment),
            "notice_hours": policy_for(link.clinic).cancellation_notice_hours,
            "form": form,
        },
        status=200 if not form.errors else 409,
    )
