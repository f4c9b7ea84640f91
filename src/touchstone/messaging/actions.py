"""Queue and send messages. Queueing is idempotent by ``key``; sending claims the message
first, so two workers never send the same one (docs/messaging.md)."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable, Collection
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client, MessageChannel
from touchstone.lib.language import override_for_client
from touchstone.lib.phones import phone_e164
from touchstone.logs import get_logger
from touchstone.messaging.models import Channel, Kind, Message, OnCall, Status
from touchstone.messaging.sms import SmsBackend, SmsError, get_backend

#: A message that fails is tried again after 5, 20, 80 minutes…; after MAX_ATTEMPTS it stays
#: failed (shown on the messages page).
MAX_ATTEMPTS = 5
RETRY_DELAY = dt.timedelta(minutes=5)

log = get_logger("touchstone.messaging")


@cache
def _template(kind: str) -> Any:
    return get_template(f"messaging/{kind}.txt")


def render_text(kind: str, context: dict[str, Any]) -> tuple[str, str]:
    """The subject (first line) and body of ``templates/messaging/<kind>.txt``. ``context``
    holds the clinic, times and links only: never a score, an answer or a diagnosis."""
    # Plain text: no HTML escaping ("Massage & Wellbeing" must not arrive as "&amp;").
    text = _template(kind).template.render(Context(context, autoescape=False)).strip()
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
    """Queue a message to ``client`` by their chosen channel, in their language, outside the
    clinic's quiet hours; recorded as not sent (with the reason) when they opted out or have
    no address. Returns the message already queued under ``key`` if there is one."""
    clinic = client.clinic
    channel, to, reason = client_address(client)
    when = clinic.after_quiet_hours(max(not_before or timezone.now(), timezone.now()))
    with override_for_client(client):  # written in the client's language
        return _queue(
            actor, clinic, key, kind, context,
            client=client, channel=channel, to=to, skip_reason=reason, send_after=when,
        )  # fmt: skip


def do_queue_client_messages(
    actor: Actor, clinic: Clinic, kind: str, items: list[tuple[Client, str, dict[str, Any]]]
) -> int:
    """Queue many client messages of one ``kind`` at once (``items``: client, key, context),
    with the rules of ``do_queue_client_message``; keys already queued are left alone. One
    insert and one audit event for the batch. The number queued."""
    keys = [key for _, key, _ in items]
    taken = set(Message.objects.filter(clinic=clinic, key__in=keys).values_list("key", flat=True))
    now = clinic.after_quiet_hours(timezone.now())
    rows = []
    for client, key, context in items:
        if key in taken:
            continue
        taken.add(key)
        channel, to, reason = client_address(client)
        with override_for_client(client):
            subject, body = render_text(
                kind, {"clinic": clinic, "site": settings.SITE_URL, **context}
            )
        rows.append(
            Message(
                clinic=clinic, client=client, key=key, kind=kind, channel=channel, to=to,
                subject=subject, body=body, skip_reason=reason, send_after=now,
                status=Status.SKIPPED if reason else Status.QUEUED,
            )
        )  # fmt: skip
    if rows:
        with transaction.atomic():
            Message.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
            record(
                actor, Action.CREATE, object_type="messaging.message",
                detail=f"{len(rows)} {kind} queued", clinic=clinic,
            )  # fmt: skip
    return len(rows)


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


#: Messages are claimed and their outcome written this many at a time: a worker that dies
#: mid-batch leaves at most this many "sending" (never sent twice; shown on the page).
SEND_CHUNK = 200


def _claim(clinic: Clinic, ids: list[int]) -> list[Message]:
    """Claim the still-queued messages among ``ids`` (row locks on PostgreSQL, the write
    lock of an IMMEDIATE transaction on SQLite), so no other worker sends them."""
    with transaction.atomic():
        rows = list(
            Message.objects.select_for_update(skip_locked=True).filter(
                clinic=clinic, pk__in=ids, status=Status.QUEUED
            )
        )
        Message.objects.filter(pk__in=[m.pk for m in rows]).update(status=Status.SENDING)
    return rows


def _send_claimed(message: Message, mail: Any, sms: SmsBackend) -> bool:
    """Send a claimed message and set its outcome on the instance (saved by the caller)."""
    message.attempts += 1
    try:
        message.provider_id = _deliver(message, mail, sms)
    except (smtplib.SMTPException, OSError, SmsError) as error:
        message.last_error = type(error).__name__
        if message.attempts >= MAX_ATTEMPTS:
            message.status = Status.FAILED
        else:
            message.status = Status.QUEUED
            message.send_after = timezone.now() + RETRY_DELAY * 4 ** (message.attempts - 1)
        log.warning(
            "message_failed", message_id=message.pk, error=message.last_error,
            attempts=message.attempts, final=message.status == Status.FAILED,
        )  # fmt: skip
        return False
    message.status, message.sent_at, message.last_error = Status.SENT, timezone.now(), ""
    return True


_OUTCOME = [
    "status", "attempts", "last_error", "send_after", "sent_at", "provider_id", "skip_reason",
]  # fmt: skip

#: A check the send job runs on the messages it claimed, before sending any: the messages
#: (by pk) that must not go, each with its reason (a ``SKIP_REASONS`` key). Registered by an
#: app above messaging that knows what a message carries (the portal: a private link that no
#: longer works, ``portal/outbox.py``).
SendCheck = Callable[[list[Message]], dict[int, str]]

_send_checks: list[SendCheck] = []


def register_send_check(check: SendCheck) -> None:
    if check not in _send_checks:
        _send_checks.append(check)


def _client_withdrawn(claimed: list[Message]) -> dict[int, str]:
    """The claimed messages to a client who, since they were queued, asked for no messages or
    was archived (a reminder queued yesterday, held by the quiet hours, must not reach a client
    who opted out tonight). One query, none for staff messages."""
    client_ids = {m.client_id for m in claimed if m.client_id is not None}
    if not client_ids:
        return {}
    withdrawn = dict(
        Client.objects.filter(pk__in=client_ids)
        .filter(Q(messages_opt_out=True) | Q(archived_at__isnull=False))
        .values_list("pk", "messages_opt_out")
    )
    return {
        m.pk: "opted_out" if withdrawn[m.client_id] else "archived"
        for m in claimed
        if m.client_id in withdrawn
    }


def _vetoed(claimed: list[Message]) -> dict[int, str]:
    """The claimed messages that must not go, with the reason: the client withdrew, or a
    registered check says so."""
    vetoed = _client_withdrawn(claimed)
    for check in _send_checks:
        vetoed.update(check(claimed))
    return vetoed


def _not_sent(message: Message, reason: str) -> None:
    """A claimed message that must not go: recorded as not sent (saved by the caller)."""
    message.status, message.skip_reason = Status.SKIPPED, reason
    log.info("message_not_sent", message_id=message.pk, reason=reason)


def _record_outcomes(claimed: list[Message]) -> None:
    """Write what happened: one UPDATE for the plain successes (most of a batch), a save per
    message for the rest (failures, provider ids)."""
    plain = [m.pk for m in claimed if m.status == Status.SENT and not m.provider_id]
    if plain:
        Message.objects.filter(pk__in=plain).update(
            status=Status.SENT, attempts=F("attempts") + 1, sent_at=timezone.now(), last_error=""
        )
    for message in claimed:
        if message.pk not in plain:
            message.save(update_fields=_OUTCOME)


def do_send_due_messages(clinic: Clinic) -> dict[str, int]:
    """Send every message of ``clinic`` that is due, over one mail connection, claiming and
    recording them ``SEND_CHUNK`` at a time. A message whose client has since opted out or
    been archived, or that a registered check vetoes (its link no longer works), is recorded
    as not sent, with the reason, instead."""
    sent = failed = not_sent = 0
    ids = list(
        Message.objects.filter(clinic=clinic)
        .due()
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return {"sent": 0, "failed": 0, "not_sent": 0}
    mail, sms = get_connection(), get_backend()
    with mail:  # one SMTP session for the run
        for start in range(0, len(ids), SEND_CHUNK):
            claimed = _claim(clinic, ids[start : start + SEND_CHUNK])
            vetoed = _vetoed(claimed)
            for message in claimed:
                if message.pk in vetoed:
                    _not_sent(message, vetoed[message.pk])
                    not_sent += 1
                elif _send_claimed(message, mail, sms):
                    sent += 1
                else:
                    failed += 1
            _record_outcomes(claimed)
    return {"sent": sent, "failed": failed, "not_sent": not_sent}


def do_void_queued(
    actor: Actor,
    clinic: Clinic,
    key_prefix: str = "",
    *,
    keys: Collection[str] = (),
    reason: str = "expired",
) -> int:
    """Queued messages of ``clinic`` whose key starts with ``key_prefix`` or is one of
    ``keys`` are no longer needed (an appointment moved or cancelled, "expired"; a private
    link used, revoked or expired, "link_gone"): recorded as not sent, with ``reason`` (a
    ``SKIP_REASONS`` key). A message a worker is sending right now is left to finish. The
    number voided."""
    which = Q(key__in=list(keys))
    if key_prefix:
        which |= Q(key__startswith=key_prefix)
    voided = (
        Message.objects.filter(clinic=clinic, status=Status.QUEUED)
        .filter(which)
        .update(status=Status.SKIPPED, skip_reason=reason)
    )
    if voided:
        record(
            actor, Action.UPDATE, object_type="messaging.message",
            detail=f"{voided} queued message(s) no longer needed: {reason}", clinic=clinic,
        )  # fmt: skip
    return voided


def on_call_list(clinic: Clinic) -> list[StaffMember]:
    """The clinic's on-call clinicians in order: the active licensed ones on its list, or
    every active licensed clinician who can sign in (invitation accepted) when the list is
    empty; none at all, and the owners are told at once (``measures.escalation``)."""
    listed = [
        entry.member
        for entry in OnCall.objects.filter(clinic=clinic).select_related("member__user")
        if entry.member.can("alerts.handle")
    ]
    if listed:
        return listed
    return list(
        StaffMember.objects.filter(clinic=clinic)
        .who_can("alerts.handle")
        .signed_up()
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
