"""Appointments reached through the tenant boundary (views and API)."""

from __future__ import annotations

from touchstone.accounts.access import get_for
from touchstone.accounts.models import StaffMember
from touchstone.scheduling.models import Appointment


def get_appointment_for(member: StaffMember, appointment_id: int) -> Appointment:
    return get_for(
        member,
        Appointment.objects.select_related(
            "clinic", "client", "staff__user", "service", "location", "room", "visit"
        ),
        pk=appointment_id,
    )
