"""Appointment reminders: the portal plugs the schedule and its own confirm and cancel links
into messaging's reminder interface (``messaging/reminders.py``), and voids the queued
reminders of an appointment that was moved or cancelled. Connected in ``PortalConfig.ready``:
the portal sits above both scheduling and messaging in the layer map."""

from __future__ import annotations

from typing import Any

from touchstone.audit.actor import Actor
from touchstone.messaging.reminders import ReminderSource, void_reminders
from touchstone.portal.appointments import reminder_links
from touchstone.scheduling.models import UPCOMING, Appointment
from touchstone.scheduling.selectors import appointments_to_remind

SOURCE = ReminderSource(appointments=appointments_to_remind, links=reminder_links)  # type: ignore[arg-type]

#: Changes that make the reminders planned for an appointment wrong.
_MOVED = {"starts_at", "ends_at"}


def void_outdated_reminders(
    sender: Any, actor: Actor, appointment: Appointment, event: str, changed: list[str], **_: Any
) -> None:
    """``scheduling.signals.appointment_saved``: a new time or a cancellation (or no-show)
    voids the reminders still queued; the new time's reminders come with the next sweep."""
    if (event == "moved" and _MOVED & set(changed)) or (
        event == "status" and appointment.status not in UPCOMING
    ):
        void_reminders(actor, appointment.clinic, appointment.pk)
