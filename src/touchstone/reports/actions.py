"""Writes of the reports app: the health-care use a client reports during care."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from touchstone.accounts.models import StaffMember
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.healthcare_use import HEALTHCARE_USE_FIELDS, HealthcareUse
from touchstone.clients.models import Client


def do_record_healthcare_use(
    member: StaffMember, client: Client, data: dict[str, Any], request: HttpRequest | None = None
) -> HealthcareUse:
    row = HealthcareUse(clinic_id=client.clinic_id, client=client, recorded_by=member)
    for name in HEALTHCARE_USE_FIELDS:
        if name in data:
            setattr(row, name, data[name])
    row.full_clean(exclude=["clinic", "client", "recorded_by"])
    row._history_user = member.user  # type: ignore[attr-defined]
    with transaction.atomic():
        row.save()
        record(request, Action.CREATE, row, actor=member.user)
    return row
