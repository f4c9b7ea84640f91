"""The demo clinic's message history: the appointment reminders its calendar got so far
(called by ``scheduling.demo`` once the appointments exist).

For each appointment and each of the clinic's lead times whose moment fell between ``since``
and ``now``, while the appointment was booked and not yet cancelled, the reminder the worker
would have sent then (held past the quiet hours, dropped when that would be after the start):
sent, or recorded as not sent with the reason (opted out, no address). Same keys, texts and
links as the worker's (``messaging.reminders``), so a later worker run sends none of them again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings

from touchstone.accounts.models import Clinic
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.messaging.actions import client_address, render_text
from touchstone.messaging.models import Channel, Kind, Message, OutboxText, Status
from touchstone.messaging.reminders import Remindable, reminder_key, reminder_sources


def build_reminder_history(
    actor: Actor,
    clinic: Clinic,
    appointments: Iterable[Remindable],
    *,
    since: dt.datetime,
    now: dt.datetime,
) -> int:
    """Record the reminders ``appointments`` got between ``since`` and ``now``; how many."""
    sources = reminder_sources()
    if not sources:
        return 0
    links = sources[0].links
    rows: list[Message] = []
    for appointment in appointments:
        booked_at = getattr(appointment, "booked_at", since)
        cancelled_at = getattr(appointment, "cancelled_at", None)
        for lead in clinic.reminder_leads:
            queued_at = max(appointment.starts_at - lead, booked_at)
            sent_at = clinic.after_quiet_hours(queued_at)
            if not since <= queued_at <= now or sent_at > now:
                continue
            if sent_at >= appointment.starts_at or (cancelled_at and cancelled_at <= queued_at):
                continue
            confirm_url, cancel_url = links(appointment)
            context = {
                "clinic": clinic,
                "site": settings.SITE_URL,
                "starts_at": appointment.starts_at,
                "confirm_url": confirm_url,
                "cancel_url": cancel_url,
            }
            subject, body = render_text(Kind.REMINDER, context)
            channel, to, reason = client_address(appointment.client)
            rows.append(
                Message(
                    clinic=clinic, client=appointment.client, key=reminder_key(appointment, lead),
                    kind=Kind.REMINDER, channel=channel, to=to, subject=subject, body=body,
                    status=Status.SKIPPED if reason else Status.SENT, skip_reason=reason,
                    created_at=queued_at, send_after=sent_at,
                    attempts=0 if reason else 1, sent_at=None if reason else sent_at,
                )
            )  # fmt: skip
    Message.objects.bulk_create(rows, batch_size=500)
    texts = [
        OutboxText(message=m, to=m.to, body=m.body, at=m.sent_at or m.send_after)
        for m in Message.objects.filter(clinic=clinic, channel=Channel.SMS, status=Status.SENT)
    ]
    OutboxText.objects.bulk_create(texts, batch_size=500)
    record(
        actor, Action.CREATE, object_type="messaging.message",
        detail=f"demo: {len(rows)} reminders", clinic=clinic,
    )  # fmt: skip
    return len(rows)
