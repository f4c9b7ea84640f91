"""What billing does when the schedule changes (connected in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from touchstone.accounts.models import Clinic
from touchstone.audit.actor import Actor
from touchstone.billing.actions import do_charge_appointment
from touchstone.billing.models import AccessSummary, Entry, Kind
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


def refresh_access_report(sender: Any, actor: Actor, clinic: Clinic, **kwargs: Any) -> None:
    """The summaries job ran for the clinic: the access report's stored outcomes by tier are
    recomputed if anything they depend on changed (or were never computed)."""
    # Imported here, not at start-up: the report brings pandas (tests/test_startup.py).
    from touchstone.billing import access_report

    summary = AccessSummary.objects.filter(clinic=clinic).first()
    if summary is None or not access_report.access_outcomes_current(clinic, summary):
        access_report.refresh_access_outcomes(clinic)
