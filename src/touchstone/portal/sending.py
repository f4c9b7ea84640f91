"""Staff send a client a private link by the client's channel: a link to book their next
visit (the client page and the appointment page: "Send booking link", docs/scheduling.md),
or a questionnaire link they just made (the link-ready page, docs/messaging.md)."""

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
from touchstone.portal.models import (
    BOOKING_LINK,
    SENT_LINK,
    PortalLink,
    Purpose,
    link_message_key,
)
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


#: What staff are told when a questionnaire link cannot go: as for a booking link, but a
#: client who asked for no messages is handed the link another way.
LINK_REFUSALS = {
    **REFUSALS,
    "opted_out": "{name} asked for no messages: nothing was sent. Copy the link and give it "
    "to them, or give the questionnaires in the clinic.",
}

#: The links staff may send from the link-ready page, and the kind of message that carries
#: each (its text: the clinic, the link, its expiry; never which questionnaires).
SENDABLE: dict[str, str] = {Purpose.QUESTIONNAIRES: Kind.QUESTIONNAIRES}


def _refused(actor: Actor, client: Client, detail: str, text: str) -> ValidationError:
    """A refusal to send, audited (denied, ``detail``: the reason, never client data)."""
    record(actor, Action.DENIED, client, detail=detail)
    return ValidationError(text)


def link_channel(link: PortalLink) -> str:
    """The channel (``email`` or ``sms``) the link-ready page offers to send ``link`` by, or
    "" when it offers none: not a questionnaire link, or a client who opted out, is archived
    or has no address for their channel. Reads no database."""
    if link.purpose not in SENDABLE:
        return ""
    channel, _to, reason = client_address(link.client)
    return "" if reason else channel


def do_send_portal_link(actor: Actor, link: PortalLink) -> Message:
    """Queue a questionnaire link to its client by their channel (kind ``questionnaires``,
    as the plan's deliveries are) and enqueue the send job. Once per link: the message's key
    names the link. Refused (``ValidationError``, a message for staff; audited as denied with
    the reason) when the link is not a questionnaire link or no longer works, when it was sent
    already, or when the client opted out or cannot be reached. The link's token is written
    into the message's body only: never into an audit event or a log line."""
    client = link.client
    name = client.full_name
    kind = SENDABLE.get(link.purpose)
    if kind is None:
        raise _refused(actor, client, f"{link.purpose} link not sent: not sendable",
                       "Only questionnaire links are sent from here.")  # fmt: skip
    if not link.usable:
        raise _refused(actor, client, "questionnaire link not sent: no longer works",
                       f"This link no longer works: make a new one for {name}.")  # fmt: skip
    _channel, _to, reason = client_address(client)
    if reason:
        text = LINK_REFUSALS.get(reason, "{name} cannot be reached.").format(name=name)
        raise _refused(actor, client, f"questionnaire link not sent: {reason}", text)
    key = link_message_key(SENT_LINK, link.pk)
    if Message.objects.filter(clinic_id=link.clinic_id, key=key).exists():
        raise _refused(actor, client, "questionnaire link not sent: sent already",
                       f"This link was sent to {name} already.")  # fmt: skip
    with transaction.atomic():
        message = do_queue_client_message(
            actor, client, key=key, kind=kind,
            context={"link": link_url(link), "expires_at": link.expires_at},
        )  # fmt: skip
        send_due_messages.enqueue(clinic_id=link.clinic_id)
    return message


def do_send_booking_link(actor: Actor, client: Client) -> Message:
    """Create a booking link for ``client`` and queue it by their channel; the send job is
    enqueued at once. Refused (``ValidationError``, a message for staff) when the clinic
    takes no online bookings, the client cannot be reached or opted out, or a link went to
    them moments ago or too often today; a refusal is audited (denied, with the reason)."""
    clinic = client.clinic
    name = client.full_name

    def refuse(why: str, text: str) -> ValidationError:
        return _refused(actor, client, f"booking link not sent: {why}", text)

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
            actor, client, key=link_message_key(BOOKING_LINK, link.pk), kind=Kind.BOOKING,
            context={"link": link_url(link), "expires_at": expires},
        )  # fmt: skip
        send_due_messages.enqueue(clinic_id=clinic.pk)
    return message
