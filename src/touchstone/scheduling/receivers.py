"""What scheduling does when other apps' records change (connected in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from touchstone.audit.actor import Actor
from touchstone.care.models import Visit, VisitStatus
from touchstone.scheduling.actions import complete_for_visit
from touchstone.scheduling.models import Appointment


def complete_appointment(sender: Any, actor: Actor, visit: Visit, **kwargs: Any) -> None:
    """A completed visit completes the appointment it came from: one record of the massage,
    documented once. Sent inside care's write transaction, so both commit together."""
    if visit.status != VisitStatus.COMPLETED:
        return
    appointment = Appointment.objects.filter(visit_id=visit.pk).select_related("clinic").first()
    if appointment is not None:
        complete_for_visit(actor, appointment)
