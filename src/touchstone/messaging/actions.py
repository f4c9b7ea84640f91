"""Queue and send messages. Queueing is idempotent by ``key``; sending claims the message
first, so two workers never send the same one (docs/messaging.md)."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import roles_with
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client, MessageChannel
from touchstone.lib.phones import phone_e164
from touchstone.logs import get_logger
from touchstone.messaging.models import Channel, Kind, Message, OnCall, Status
from touchstone.messaging.sms import SmsBackend, SmsError, get_backend

#: A message that fails is tried again after 5, 20, 80 minutes…; after MAX_ATTEMPTS it stays
#: failed (shown on the messages page).
MAX_ATTEMPTS = 5
RETRY_DELAY = dt.timedelta(minutes=5)

log = get_logger("touchstone.messaging")


def render_text(kind: str, context: dict[str, Any]) -> tuple[str, str]:
    """The subject (first line) and body of ``templates/messaging/<kind>.txt``. ``context``
    holds the clinic, times and links only: never a score, an answer or a diagnosis."""
    text = render_to_string(f"messaging/{kind}.txt", context).strip()
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"


def client_address(client: Client) -> tuple[str, str, str]:
    """(channel, address, reason not to send) for a client, by their preference."""
    if client.messages_opt_out:
        return Channel.EMAIL, "", "opted_out"
    if client.archived_at is not None:
        return Channel.EMAIL, "", "archived"
    if client.message_channel == MessageChannel.SMS:
        phone = phone_e164(client.phone) if client.phone else None
        return Channel.SMS, phone or "", "" if phone else "no_phone"
    return Channel.EMAIL, client.email, "" if client.email else "no_email"


def staff_address(member: StaffMember, channel: str) -> tuple[str, str]:
    """(address, reason not to send) for a staff member by ``channel``."""
    if channel == Channel.SMS:
        phone = phone_e164(member.phone) if member.phone else None
        return phone or "", "" if phone else "no_phone"
    email = member.user.email
    return email, "" if email else "no_email"


def _queue(
    actor: Actor, clinic: Clinic, key: str, kind: str, context: dict[str, Any], **fields: Any
) -> Message:
    existing = Message.objects.filter(clinic=clinic, key=key).first()
    if existing is not None:
        return existing
    subject, body = render_text(kind, {"clinic": clinic, "site": settings.SITE_URL, **context})
    message = Message(clinic=clinic, key=key, kind=kind, subject=subject, body=body, **fields)
    if message.skip_reason:
        message.status = Status.SKIPPED
    try:
        with transaction.atomic():
            message.save()
            record(actor, Action.CREATE, message, detail=f"{kind} by {message.channel}")
    except IntegrityError:  # queued a moment ago by another worker
        return Message.objects.get(clinic=clinic, key=key)
    return message


def do_queue_client_message(
    actor: Actor,
    client: Client,
    *,
    key: str,
    kind: str,
    context: dict[str, Any],
    not_before: dt.datetime | None = None,
) -> Message:
    """Queue a message to ``client`` by their chosen channel, outside the clinic's quiet
    hours; recorded as not sent (with the reason) when they opted out or have no address.
    Returns the message already queued under ``key`` if there is one."""
    clinic = client.clinic
    channel, to, reason = client_address(client)
    when = clinic.after_quiet_hours(max(not_before or timezone.now(), timezone.now()))
    return _queue(
        actor, clinic, key, kind, context,
        client=client, channel=channel, to=to, skip_reason=reason, send_after=when,
    )  # fmt: skip


def do_queue_staff_message(
    actor: Actor, member: StaffMember, channel: str, *, key: str, kind: str, context: dict[str, Any]
) -> Message:
    """Queue a message to a staff member now (quiet hours do not hold staff alerts)."""
    to, reason = staff_address(member, channel)
    return _queue(
        actor, member.clinic, key, kind, context,
        staff=member, channel=channel, to=to, skip_reason=reason,
    )  # fmt: skip


def _deliver(message: Message, mail: Any, sms: SmsBackend) -> str:
    if message.channel == Channel.SMS:
        return sms.send(message)
    EmailMessage(
        message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to], connection=mail
    ).send()
    return ""


def do_send_message(message: Message, *, mail: Any = None, sms: SmsBackend | None = None) -> bool:
    """Send one queued message; whether it went. A failure (SMTP refusal, network, provider)
    is counted and retried later; nothing is sent twice (the message is claimed first)."""
    claimed = Message.objects.filter(pk=message.pk, status=Status.QUEUED).update(
        status=Status.SENDING
    )
    if not claimed:
        return False
    message.attempts += 1
    try:
        provider_id = _deliver(message, mail or get_connection(), sms or get_backend())
    except (smtplib.SMTPException, OSError, SmsError) as error:
        message.last_error = type(error).__name__
        if message.attempts >= MAX_ATTEMPTS:
            message.status = Status.FAILED
        else:
            message.status = Status.QUEUED
            message.send_after = timezone.now() + RETRY_DELAY * 4 ** (message.attempts - 1)
        message.save(update_fields=["status", "attempts", "last_error", "send_after"])
        log.warning(
            "message_failed", message_id=message.pk, error=message.last_error,
            attempts=message.attempts, final=message.status == Status.FAILED,
        )  # fmt: skip
        return False
    message.status, message.sent_at, message.provider_id = Status.SENT, timezone.now(), provider_id
    message.last_error = ""
    message.save(update_fields=["status", "attempts", "sent_at", "provider_id", "last_error"])
    return True


def do_send_due_messages(clinic: Clinic) -> dict[str, int]:
    """Send every message of ``clinic`` that is due, over one mail connection."""
    sent = failed = 0
    due = list(Message.objects.filter(clinic=clinic).due().order_by("send_after", "pk"))
    if not due:
        return {"sent": 0, "failed": 0}
    mail, sms = get_connection(), get_backend()
    with mail:  # one SMTP session for the batch
        for message in due:
            if do_send_message(message, mail=mail, sms=sms):
                sent += 1
            else:
                failed += 1
    return {"sent": sent, "failed": failed}


def on_call_list(clinic: Clinic) -> list[StaffMember]:
    """The clinic's on-call clinicians in order: the active licensed ones on its list, or
    every active licensed clinician when the list is empty."""
    listed = [
        entry.member
        for entry in OnCall.objects.filter(clinic=clinic).select_related("member__user")
        if entry.member.can("alerts.handle")
    ]
    if listed:
        return listed
    return list(
        StaffMember.objects.filter(
            clinic=clinic, is_active=True, role__in=roles_with("alerts.handle")
        )
        .select_related("user")
        .order_by("pk")
    )


def do_set_on_call(actor: Actor, slots: list[tuple[StaffMember, str]]) -> None:
    """Replace the clinic's on-call list with ``slots`` (member, phone for alert texts), in
    this order."""
    clinic = actor.staff.clinic
    members = [member for member, _ in slots]
    if len(set(members)) != len(members):
        raise ValidationError("Name each clinician once.")
    for member, phone in slots:
        if member.clinic_id != clinic.pk or not member.can("alerts.handle"):
            raise ValidationError("Only active licensed clinicians of this clinic can be on call.")
        if phone and phone_e164(phone) is None:
            raise ValidationError(f"{phone!r} is not a phone number a text message can reach.")
    with transaction.atomic():
        for member, phone in slots:
            if member.phone != phone:
                member.phone = phone
                member.save(update_fields=["phone"])
        OnCall.objects.filter(clinic=clinic).delete()
        OnCall.objects.bulk_create(
            OnCall(clinic=clinic, member=m, position=i) for i, m in enumerate(members)
        )
        record(
            actor, Action.UPDATE, object_type="messaging.oncall",
            detail="on-call list: " + ",".join(str(m.pk) for m in members), clinic=clinic,
        )  # fmt: skip


__all__ = ["Kind", "do_queue_client_message", "do_queue_staff_message", "do_send_due_messages"]
