from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from touchstone.accounts.models import StaffMember
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client
from touchstone.measures.actions import do_start_administration
from touchstone.measures.instruments import administrable
from touchstone.measures.models import Mode
from touchstone.portal.models import PortalLink, Purpose

MAX_VALID = dt.timedelta(days=14)


def do_create_portal_link(
    client: Client,
    member: StaffMember,
    purpose: str,
    instrument_ids: Sequence[str],
    expires_at: dt.datetime,
    request: HttpRequest | None,
) -> PortalLink:
    """A private link for one client; questionnaire links carry their administrations."""
    now = timezone.now()
    if not now < expires_at <= now + MAX_VALID:
        raise ValidationError("A link must expire within 14 days.")
    if purpose == Purpose.QUESTIONNAIRES:
        known = {i.id for i in administrable()}
        if not instrument_ids:
            raise ValidationError("Choose at least one questionnaire.")
        unknown = [i for i in instrument_ids if i not in known]
        if unknown:
            raise ValidationError(f"Unknown questionnaire: {', '.join(unknown)}.")
    with transaction.atomic():
        link = PortalLink.objects.create(
            clinic=client.clinic,
            client=client,
            purpose=purpose,
            created_by=member,
            expires_at=expires_at,
        )
        for instrument_id in instrument_ids:
            link.administrations.add(
                do_start_administration(client, instrument_id, Mode.PORTAL, member, request)
            )
        record(request, Action.GRANT, link, actor=member.user, detail=f"portal {purpose}")
    return link


def do_use_portal_link(link: PortalLink, request: HttpRequest | None) -> None:
    """A questionnaire link works once: it is spent when the client submits."""
    link.used_at = timezone.now()
    with transaction.atomic():
        link.save(update_fields=["used_at"])
        record(request, Action.UPDATE, link, detail="submitted", channel="portal")


def do_revoke_portal_link(
    link: PortalLink, member: StaffMember, request: HttpRequest | None
) -> None:
    """Stop a link working at once (sent to the wrong number, client asked, …)."""
    if link.revoked_at is not None:
        return
    link.revoked_at = timezone.now()
    with transaction.atomic():
        link.save(update_fields=["revoked_at"])
        record(request, Action.REVOKE, link, actor=member.user, detail="portal link")
