"""Administrations and risk alerts reached through the tenant boundary (views and API)."""

from __future__ import annotations

from touchstone.accounts.access import get_for
from touchstone.accounts.models import StaffMember
from touchstone.instruments.models import CustomInstrument
from touchstone.measures.models import Administration, RiskAlert


def get_administration_for(member: StaffMember, administration_id: int) -> Administration:
    return get_for(
        member,
        Administration.objects.select_related(
            "client", "created_by__user", "text__attested_by__user"
        ),
        pk=administration_id,
    )


def get_alert_for(member: StaffMember, alert_id: int) -> RiskAlert:
    return get_for(
        member,
        RiskAlert.objects.select_related(
            "client", "administration__text", "assigned_to__user", "closed_by__user"
        ),
        pk=alert_id,
    )


def get_custom_for(member: StaffMember, custom_id: int) -> CustomInstrument:
    return get_for(
        member, CustomInstrument.objects.select_related("created_by__user"), pk=custom_id
    )
