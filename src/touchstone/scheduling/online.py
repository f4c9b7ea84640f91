"""Online booking: what a client may do through their private link, under the clinic's
``BookingPolicy``: book a free slot, reschedule it, cancel it.

The times offered are ``slots.free_slots``; a requested time is checked against them again
when the client submits (the page may be minutes old) and then booked through
``actions.do_book_appointment`` / ``do_move_appointment``, so the one conflict rule of
``scheduling.rules`` decides a race: of twenty clients asking for one time at once, one gets
it and the others are told it was just taken (``SlotTaken``), whichever check refused them.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from touchstone.accounts.models import StaffMember
from touchstone.audit.actor import Actor
from touchstone.care.models import Visit
from touchstone.clients.models import Client
from touchstone.scheduling import actions, rules
from touchstone.scheduling.models import (
    UPCOMING,
    Appointment,
    BookingPolicy,
    Location,
    Room,
    Service,
    policy_for,
)
from touchstone.scheduling.slots import Slot, bookable_staff, free_slots

#: What a client is told when the time they chose is gone (never who holds it). The English
#: text (``gettext(TAKEN)`` in the client's language); the messages here are the client's
#: and are translated (docs/languages.md).
TAKEN = gettext_noop("Sorry, this time was just taken. Please choose another.")


class SlotTaken(ValidationError):
    """The chosen time is no longer free (booked by someone else since the page was shown,
    or no longer inside the policy's window)."""

    def __init__(self) -> None:
        super().__init__({"starts_at": [gettext_lazy(TAKEN)]})


def online_services(policy: BookingPolicy) -> list[Service]:
    """The services a client may book online: active and marked bookable online."""
    return list(
        Service.objects.filter(clinic_id=policy.clinic_id, is_active=True, bookable_online=True)
    )


def refusal(client: Client, policy: BookingPolicy, now: dt.datetime | None = None) -> str | None:
    """Why ``client`` may not book online now, in words for them; None when they may."""
    if not policy.online_booking:
        return _("This clinic does not take bookings online. Please call the clinic.")
    if client.is_archived:
        return _("Please call the clinic to book.")
    if (
        not policy.new_clients_online
        and not Visit.objects.filter(clinic_id=client.clinic_id, client_id=client.pk).exists()
    ):
        return _("Your first visit is booked by the clinic. Please call the clinic.")
    upcoming = upcoming_for(client, now).count()
    if upcoming >= policy.max_upcoming_online:
        return ngettext(
            "You already have %(count)d upcoming appointment, the most that can be booked "
            "online. Please call the clinic to book more.",
            "You already have %(count)d upcoming appointments, the most that can be booked "
            "online. Please call the clinic to book more.",
            upcoming,
        ) % {"count": upcoming}
    return None


def upcoming_for(client: Client, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    """The client's own appointments still to come (booked or confirmed), soonest first."""
    return (
        Appointment.objects.filter(
            clinic_id=client.clinic_id,
            client_id=client.pk,
            status__in=UPCOMING,
            starts_at__gte=now or timezone.now(),
        )
        .select_related("service", "staff__user", "location")
        .order_by("starts_at", "id")
    )


def offered_slots(
    policy: BookingPolicy,
    service: Service,
    staff_id: int | None,
    first: dt.date,
    last: dt.date,
    *,
    now: dt.datetime | None = None,
    ignore: Appointment | None = None,
) -> list[Slot]:
    """The free times between the local dates ``first`` and ``last`` with ``staff_id`` (None:
    anyone who treats); with "anyone", one slot per start time (the first staff member free)."""
    clinic = policy.clinic
    staff_ids = [m.pk for m in bookable_staff(clinic)]
    if staff_id is not None:
        staff_ids = [s for s in staff_ids if s == staff_id]
    slots = free_slots(
        clinic, policy, service, staff_ids=staff_ids, first=first, last=last, now=now, ignore=ignore
    )
    if staff_id is not None:
        return slots
    seen: set[dt.datetime] = set()
    unique = []
    for slot in slots:
        if slot.start not in seen:
            seen.add(slot.start)
            unique.append(slot)
    return unique


def _slot_at(
    policy: BookingPolicy,
    service: Service,
    staff_id: int | None,
    start: dt.datetime,
    *,
    ignore: Appointment | None = None,
) -> Slot:
    day = timezone.localtime(start, policy.clinic.zone).date()
    for slot in offered_slots(policy, service, staff_id, day, day, ignore=ignore):
        if slot.start == start:
            return slot
    raise SlotTaken()


def do_book_online(
    actor: Actor, client: Client, service: Service, start: dt.datetime, staff_id: int | None
) -> Appointment:
    """Book ``service`` for ``client`` at ``start`` with ``staff_id`` (None: anyone free),
    acting as the client (``actor`` of the portal). Raises ``ValidationError`` with a message
    for the client when the policy refuses, and ``SlotTaken`` when the time is gone."""
    policy = policy_for(client.clinic)
    problem = refusal(client, policy)
    if problem:
        raise ValidationError(problem)
    if service.clinic_id != client.clinic_id or not (service.is_active and service.bookable_online):
        raise ValidationError({"service": [_("This service cannot be booked online.")]})
    slot = _slot_at(policy, service, staff_id, start)
    data = {
        "client": client,
        "service": service,
        "staff": _staff(client, slot.staff_id),
        "room": _room(slot),
        "location": _location(client.clinic_id, slot),
        "starts_at": slot.start,
        "ends_at": slot.end,
    }
    try:
        return actions.do_book_appointment(actor, data)
    except rules.AppointmentConflict:
        raise SlotTaken() from None


def _staff(client: Client, staff_id: int) -> StaffMember:
    return StaffMember.objects.select_related("user").get(clinic_id=client.clinic_id, pk=staff_id)


def _room(slot: Slot) -> Room | None:
    return Room.objects.filter(pk=slot.room_id).first() if slot.room_id is not None else None


def _location(clinic_id: int, slot: Slot) -> Location:
    return Location.objects.get(clinic_id=clinic_id, pk=slot.location_id)


def check_changeable(appointment: Appointment, now: dt.datetime | None = None) -> None:
    """Refuse a change the client may not make online: only their upcoming appointments, and
    not inside the clinic's cancellation notice (then they call the clinic)."""
    now = now or timezone.now()
    if appointment.status not in UPCOMING or appointment.starts_at <= now:
        raise ValidationError(_("This appointment can no longer be changed online."))
    if actions.is_late(appointment, now):
        hours = policy_for(appointment.clinic).cancellation_notice_hours
        raise ValidationError(
            _(
                "Less than %(hours)d hours before the appointment it can only be moved by "
                "calling the clinic."
            )
            % {"hours": hours}
        )


def do_reschedule_online(
    actor: Actor, appointment: Appointment, start: dt.datetime, staff_id: int | None
) -> Appointment:
    """Move the client's own upcoming appointment to a free time (same service), before the
    cancellation notice starts; the old time is free for others at once."""
    check_changeable(appointment)
    policy = policy_for(appointment.clinic)
    slot = _slot_at(policy, appointment.service, staff_id, start, ignore=appointment)
    data = {
        "staff": _staff(appointment.client, slot.staff_id),
        "room": _room(slot),
        "location": _location(appointment.clinic_id, slot),
        "starts_at": slot.start,
        "ends_at": slot.end,
    }
    try:
        actions.do_move_appointment(actor, appointment, data)
    except rules.AppointmentConflict:
        raise SlotTaken() from None
    return appointment


def do_cancel_online(
    actor: Actor, appointment: Appointment, *, accept_late: bool, reason: str = ""
) -> Appointment:
    """The client cancels their own upcoming appointment. Before the cancellation notice it is
    an ordinary cancellation; inside it only when the client has accepted that it is recorded
    as a late cancellation (``accept_late``), which it then is."""
    if appointment.status not in UPCOMING or appointment.starts_at <= timezone.now():
        raise ValidationError(_("This appointment can no longer be cancelled online."))
    if actions.is_late(appointment) and not accept_late:
        hours = policy_for(appointment.clinic).cancellation_notice_hours
        raise ValidationError(
            _(
                "Less than %(hours)d hours before the appointment a cancellation is a late "
                "cancellation: tick the box to accept that, or call the clinic."
            )
            % {"hours": hours}
        )
    return actions.do_cancel_appointment(
        actor, appointment, by_client=True, reason=reason, accept_late=accept_late
    )
