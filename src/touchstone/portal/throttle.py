"""Limits on what a private link may try: online booking attempts (book, reschedule,
cancel) per link and per address. Like the password-reset limits (accounts.actions), the
audit events are what is counted: one table every web worker shares, and each attempt, let
through or held back, is itself on the audit trail."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action, AuditEvent
from touchstone.portal.models import PortalLink

ATTEMPT = "online booking attempt"
HELD_BACK = "online booking attempt held back (limit)"
#: Attempts per link and per address within an hour. A client books, moves or cancels a
#: handful of times; a script trying times or links hits the limit quickly.
PER_LINK = 10
PER_ADDRESS = 60
WINDOW = dt.timedelta(hours=1)


def allow_booking_attempt(actor: Actor, link: PortalLink) -> bool:
    """Whether another booking attempt through ``link`` is within the limits; records it."""
    attempts = AuditEvent.objects.filter(
        channel="portal", detail=ATTEMPT, at__gte=timezone.now() - WINDOW
    )
    allowed = attempts.filter(
        object_type="portal.portallink", object_id=str(link.pk)
    ).count() < PER_LINK and (
        actor.address is None or attempts.filter(ip_address=actor.address).count() < PER_ADDRESS
    )
    record(
        actor,
        Action.UPDATE if allowed else Action.DENIED,
        link,
        detail=ATTEMPT if allowed else HELD_BACK,
    )
    return allowed
