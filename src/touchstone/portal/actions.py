from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.models import Action
from touchstone.clients.models import Client
from touchstone.measures.actions import do_start_administration
from touchstone.measures.instruments import administrable
from touchstone.measures.models import Mode
from touchstone.messaging.actions import do_void_queued
from touchstone.portal.models import Delivery, PortalLink, Purpose, link_message_keys

MAX_VALID = dt.timedelta(days=14)


def do_create_portal_link(
    actor: Actor,
    client: Client,
    purpose: str,
    instrument_ids: Sequence[str],
    expires_at: dt.datetime,
    language: str | None = None,
) -> PortalLink:
    """A private link for one client; questionnaire links carry their administrations.
    ``actor`` is the staff member who sends it, or the job that sends it on the measurement
    plan's schedule (``portal.delivery``: no ``created_by``). The questionnaires are in
    ``language`` (default: the client's preferred language) where an official translation
    exists, else in English (the page says so)."""
    now = timezone.now()
    if not now < expires_at <= now + MAX_VALID:
        raise ValidationError("A link must expire within 14 days.")
    if purpose == Purpose.PROGRESS and not actor.staff.can("measures.view"):
        raise PermissionDenied("A progress link shows scores: your role may not share them.")
    if purpose == Purpose.QUESTIONNAIRES:
        known = {i.id for i in administrable(client.clinic_id)}
        if not instrument_ids:
            raise ValidationError("Choose at least one questionnaire.")
        unknown = [i for i in instrument_ids if i not in known]
        if unknown:
            raise ValidationError(f"Unknown questionnaire: {', '.join(unknown)}.")
    link = PortalLink(
        clinic=client.clinic,
        client=client,
        purpose=purpose,
        created_by=actor.member,
        expires_at=expires_at,
    )
    with transaction.atomic():
        writes.save(actor, link, Action.GRANT, detail=f"portal {purpose}")
        for instrument_id in instrument_ids:
            link.administrations.add(
                do_start_administration(actor, client, instrument_id, Mode.PORTAL, language)
            )
    return link


def do_open_portal_link(actor: Actor, link: PortalLink) -> None:
    """The client opened the link: the first time is kept (``opened_at``, shown as "opened"
    on the due list); later openings change nothing here (each is a read in the audit log)."""
    if link.opened_at is not None:
        return
    link.opened_at = timezone.now()
    writes.save(actor, link, Action.UPDATE, update_fields=["opened_at"], detail="opened")


def do_void_link_messages(actor: Actor, link: PortalLink) -> int:
    """The link no longer works: the messages that carry it and are still queued (held by
    the quiet hours, or waiting for a retry) are recorded as not sent, "link_gone", so a
    client is never sent a link that says "not available". The number voided."""
    deliveries = Delivery.objects.filter(clinic_id=link.clinic_id, link=link).only("pk")
    keys = link_message_keys(link.pk, deliveries)
    return do_void_queued(actor, link.clinic, keys=keys, reason="link_gone")


def do_use_portal_link(actor: Actor, link: PortalLink) -> None:
    """The client submitted through the link: a questionnaire link is spent (its queued
    messages are voided); a sleep diary link records its first night (the delivery counts as
    completed) and keeps working."""
    link.used_at = timezone.now()
    with transaction.atomic():
        writes.save(actor, link, Action.UPDATE, update_fields=["used_at"], detail="submitted")
        if not link.usable:
            do_void_link_messages(actor, link)


def do_revoke_portal_link(actor: Actor, link: PortalLink) -> None:
    """Stop a link working at once (sent to the wrong number, client asked, the client
    archived, …); its queued messages are voided."""
    if link.revoked_at is not None:
        return
    link.revoked_at = timezone.now()
    with transaction.atomic():
        writes.save(actor, link, Action.REVOKE, update_fields=["revoked_at"], detail="portal link")
        do_void_link_messages(actor, link)
