"""Writes of the reports app: the health-care use a client reports during care."""

from __future__ import annotations

from typing import Any

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.care.healthcare_use import HEALTHCARE_USE_FIELDS, HealthcareUse
from touchstone.clients.models import Client


def do_record_healthcare_use(actor: Actor, client: Client, data: dict[str, Any]) -> HealthcareUse:
    row = HealthcareUse(clinic_id=client.clinic_id, client=client, recorded_by=actor.staff)
    given = {name: data[name] for name in HEALTHCARE_USE_FIELDS if name in data}
    return writes.create(
        actor, row, given, fields=HEALTHCARE_USE_FIELDS, exclude=["clinic", "client", "recorded_by"]
    )
