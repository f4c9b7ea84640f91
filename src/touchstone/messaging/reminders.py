"""Appointment reminders at the clinic's lead times, against a small interface.

Appointments belong to the scheduling app, which sits above messaging in the layer map, so
messaging names no appointment model: the portal (above both; it owns the client-facing
confirm and cancel links) registers a *reminder source* when it starts (``PortalConfig.ready``,
``portal/reminders.py``)::

    register_reminder_source(ReminderSource(
        appointments=appointments_to_remind,  # scheduling.selectors: booked or confirmed
        links=reminder_links,                 # portal.appointments: signed confirm/cancel URLs
    ))

``appointments(clinic, start, end)`` gives the appointments starting in ``(start, end]`` that
still want a reminder (booked or confirmed: not cancelled); each has ``pk``, ``client`` and
``starts_at``. ``links(appointment)`` gives the absolute confirm and cancel URLs (signed,
single-purpose, expiring portal links). Until a source is registered no reminder is sent.

A reminder's key names the appointment, the lead time and the appointment's start, so a
moved appointment gets the reminders of its new time; ``void_reminders`` drops the queued,
unsent reminders of an appointment that was moved or cancelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.audit.actor import Actor
from touchstone.clients.models import Client
from touchstone.messaging.actions import do_queue_client_messages, do_void_queued
from touchstone.messaging.models import Kind, Message


class Remindable(Protocol):
    pk: Any
    client: Client
    starts_at: dt.datetime


@dataclass(frozen=True)
class ReminderSource:
    appointments: Callable[[Clinic, dt.datetime, dt.datetime], Iterable[Remindable]]
    links: Callable[[Remindable], tuple[str, str]]


_sources: list[ReminderSource] = []


def register_reminder_source(source: ReminderSource) -> None:
    if source not in _sources:
        _sources.append(source)


def unregister_reminder_source(source: ReminderSource) -> None:
    if source in _sources:
        _sources.remove(source)


def reminder_sources() -> list[ReminderSource]:
    """The registered sources, in registration order."""
    return list(_sources)


def reminder_prefix(appointment_pk: Any) -> str:
    """What every reminder key of one appointment starts with."""
    return f"reminder:{appointment_pk}:"


def reminder_key(appointment: Remindable, lead: dt.timedelta) -> str:
    """``reminder:<appointment>:<lead>h:<start, UTC>``: once per appointment, lead and time."""
    hours = int(lead.total_seconds() // 3600)
    start = appointment.starts_at.astimezone(dt.UTC)
    return f"{reminder_prefix(appointment.pk)}{hours}h:{start:%Y%m%dT%H%MZ}"


def lead_due(clinic: Clinic, starts_at: dt.datetime, now: dt.datetime) -> dt.timedelta | None:
    """The lead time whose reminder is due now: the shortest lead ``L`` with
    ``starts_at - L <= now``, or None when none is, or the appointment has begun. So a visit
    booked 10 hours ahead gets the 48-hour reminder at once and the 2-hour one later; one
    booked 1 hour ahead gets only the 2-hour one (each lead once: the key)."""
    if starts_at <= now:
        return None
    open_leads = [lead for lead in clinic.reminder_leads if starts_at - lead <= now]
    return min(open_leads) if open_leads else None


def do_queue_due_reminders(actor: Actor, clinic: Clinic) -> int:
    """Queue every reminder due now for the clinic's appointments (once per appointment and
    lead time: the key). A reminder the quiet hours would hold past the start is dropped."""
    if not _sources:
        return 0
    now = timezone.now()
    horizon = now + max(clinic.reminder_leads)
    queued = 0
    for source in _sources:
        due = []
        for appointment in source.appointments(clinic, now, horizon):
            lead = lead_due(clinic, appointment.starts_at, now)
            if lead is not None:
                due.append((appointment, lead, reminder_key(appointment, lead)))
        done = set(
            Message.objects.filter(clinic=clinic, key__in=[k for _, _, k in due]).values_list(
                "key", flat=True
            )
        )
        items = []
        for appointment, _lead, key in due:
            if key in done or clinic.after_quiet_hours(now) >= appointment.starts_at:
                continue
            confirm_url, cancel_url = source.links(appointment)
            context = {
                "starts_at": appointment.starts_at,
                "confirm_url": confirm_url,
                "cancel_url": cancel_url,
            }
            items.append((appointment.client, key, context))
        queued += do_queue_client_messages(actor, clinic, Kind.REMINDER, items)
    return queued


def void_reminders(actor: Actor, clinic: Clinic, appointment_pk: Any) -> int:
    """The appointment was moved or cancelled: its queued, unsent reminders (held by the
    quiet hours, or waiting for a retry) are recorded as not sent, "no longer needed"."""
    return do_void_queued(actor, clinic, reminder_prefix(appointment_pk))
