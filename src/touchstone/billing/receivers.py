"""What billing does when the schedule changes (connected in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from touchstone.audit.actor import Actor
from touchstone.billing.actions import do_charge_appointment
from touchstone.billing.models import Entry, Kind
from touchstone.scheduling.models import Appointment, Status

#: The statuses that owe something: the visit happened, or the client missed it late.
CHARGED = (Status.COMPLETED, Status.NO_SHOW, Status.LATE_CANCELLED)


def charge_appointment(
    sender: Any, actor: Actor, appointment: Appointment, event: str, **kwargs: Any
) -> None:
    """A completed, missed or late-cancelled appointment posts its charge line, inside the
    scheduling action's transaction (both commit or neither)."""
    if event != "status" or appointment.status not in CHARGED:
        return
    if Entry.objects.filter(appointment=appointment, kind=Kind.CHARGE).exists():
        return
    do_charge_appointment(actor, appointment)
