"""Appointment reminders at the clinic's lead times, against a small interface.

Appointments belong to the scheduling app, which sits above messaging in the layer map, so
messaging names no appointment model: scheduling registers a *reminder source* when it starts
(``AppConfig.ready``)::

    register_reminder_source(ReminderSource(
        appointments=lambda clinic, start, end: Appointment.objects.filter(
            clinic=clinic, status__in=["booked", "confirmed"],
            starts_at__gt=start, starts_at__lte=end,
        ).select_related("client", "clinic"),
        links=lambda appointment: (confirm_url(appointment), cancel_url(appointment)),
    ))

``appointments(clinic, start, end)`` gives the appointments starting in ``(start, end]`` that
still want a reminder (booked or confirmed: not cancelled); each has ``pk``, ``client`` and
``starts_at``. ``links(appointment)`` gives the absolute confirm and cancel URLs (signed,
single-purpose, expiring portal links). Until a source is registered no reminder is sent.
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
from touchstone.messaging.actions import do_queue_client_messages
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


def reminder_key(appointment: Remindable, lead: dt.timedelta) -> str:
    return f"reminder:{appointment.pk}:{int(lead.total_seconds() // 3600)}h"


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
