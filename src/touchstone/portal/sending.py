"""Staff send a client a private link to book their next visit (the client page and the
appointment page: "Send booking link"), by the client's channel (docs/scheduling.md)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client
from touchstone.messaging.actions import client_address, do_queue_client_message
from touchstone.messaging.models import Kind, Message
from touchstone.messaging.tasks import send_due_messages
from touchstone.portal.actions import do_create_portal_link
from touchstone.portal.delivery import link_url
from touchstone.portal.models import Purpose
from touchstone.scheduling.models import policy_for

#: How long a booking link works.
BOOKING_LINK_DAYS = 14
#: At most one booking link per client within MIN_GAP (a double click, two people at the desk)
#: and PER_DAY within a day: a client is not flooded, whoever presses the button.
MIN_GAP = dt.timedelta(minutes=10)
PER_DAY = 3

#: What staff are told when the link cannot go (``client_address``'s reasons).
REFUSALS = {
    "opted_out": "{name} asked for no messages: nothing was sent. Give them the clinic's "
    "number to book, or book for them.",
    "archived": "{name} is archived: restore them before sending anything.",
    "no_email": "{name} has no e-mail address: add one (or a mobile number and text "
    "messages as their channel) on the client form.",
    "no_phone": "{name} prefers text messages but has no mobile number a text can reach: "
    "add one on the client form.",
}


def do_send_booking_link(actor: Actor, client: Client) -> Message:
    """Create a booking link for ``client`` and queue it by their channel; the send job is
    enqueued at once. Refused (``ValidationError``, a message for staff) when the clinic
    takes no online bookings, the client cannot be reached or opted out, or a link went to
    them moments ago or too often today; a refusal is audited (denied, with the reason)."""
    clinic = client.clinic
    name = client.full_name

    def refuse(why: str, text: str) -> ValidationError:
        record(actor, Action.DENIED, client, detail=f"booking link not sent: {why}")
        return ValidationError(text)

    if not policy_for(clinic).online_booking:
        raise refuse(
            "no online booking",
            "The clinic does not take online bookings: turn them on in Scheduling settings.",
        )
    _channel, _to, reason = client_address(client)
    if reason:
        raise refuse(reason, REFUSALS.get(reason, "{name} cannot be reached.").format(name=name))
    now = timezone.now()
    sent = Message.objects.filter(
        clinic=clinic, client=client, kind=Kind.BOOKING, created_at__gte=now - dt.timedelta(days=1)
    ).values_list("created_at", flat=True)
    if any(at >= now - MIN_GAP for at in sent):
        raise refuse("limit", f"A booking link went to {name} a few minutes ago.")
    if len(sent) >= PER_DAY:
        raise refuse("limit", f"{name} was sent {PER_DAY} booking links today: no more today.")
    expires = now + dt.timedelta(days=BOOKING_LINK_DAYS)
    with transaction.atomic():
        link = do_create_portal_link(actor, client, Purpose.BOOKING, [], expires)
        message = do_queue_client_message(
            actor, client, key=f"booking:{link.pk}", kind=Kind.BOOKING,
            context={"link": link_url(link), "expires_at": expires},
        )  # fmt: skip
        send_due_messages.enqueue(clinic_id=clinic.pk)
    return message
