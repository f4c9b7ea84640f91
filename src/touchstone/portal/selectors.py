"""Portal's panels: the private links of a client that still work, and what the measurement
plan sent (``portal.delivery``) with how far each item got."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from touchstone.accounts.models import StaffMember
from touchstone.clients.models import Client
from touchstone.measures.instruments import short_name
from touchstone.measures.models import Status
from touchstone.messaging.models import SKIP_REASONS, Message
from touchstone.messaging.models import Status as MessageStatus
from touchstone.portal.models import (
    BOOKING_LINK,
    DELIVERED_LINK,
    SENT_LINK,
    Delivery,
    PortalLink,
    Purpose,
)


def _held_until() -> Subquery:
    """For a link (``OuterRef``): when its message, still held by the quiet hours, is to be
    sent; None when none is held. Keys as ``portal.models.link_message_keys``."""
    as_text = Cast(OuterRef("pk"), CharField())
    carries = Q(key=Concat(Value(f"{SENT_LINK}:"), as_text)) | Q(
        key=Concat(Value(f"{BOOKING_LINK}:"), as_text)
    )
    delivery = Cast(OuterRef("delivery__pk"), CharField())
    carries |= Q(key=Concat(Value(f"{DELIVERED_LINK}:"), delivery))
    held = Message.objects.filter(
        carries,
        clinic_id=OuterRef("clinic_id"),
        status=MessageStatus.QUEUED,
        send_after__gt=timezone.now(),
    )
    return Subquery(held.order_by("send_after").values("send_after")[:1])


def open_links(member: StaffMember, client: Client) -> list[PortalLink]:
    """Links the client could still open, for staff who send them (``measures.give``);
    empty for other roles. Each has ``held_until``: when its message is to be sent, while the
    quiet hours hold it (else None). One query."""
    if not member.can("measures.give"):
        return []
    links = PortalLink.objects.for_member(member).open().filter(client=client)
    return list(links.annotate(held_until=_held_until()))


@dataclass(frozen=True)
class DeliveryState:
    """How far one item of an automatic delivery got: ``state`` is one of "not sent",
    "queued", "sent", "failed", "opened", "completed", "expired"; ``at`` when (sent, opened
    or completed), ``note`` the reason a message was not sent."""

    delivery: Delivery
    item: str  # an instrument id, or "sleep diary"
    state: str
    at: dt.datetime | None = None
    note: str = ""

    @property
    def text(self) -> str:
        when = f" {self.at:%b} {self.at.day}" if self.at is not None else ""
        return f"{self.state}{when}" + (f" ({self.note})" if self.note else "")

    @property
    def name(self) -> str:
        return self.item if self.item == "sleep diary" else short_name(self.item)


def _states(member: StaffMember, deliveries: list[Delivery]) -> list[DeliveryState]:
    """Every item of ``deliveries`` with its state (one query: their messages; the links'
    administrations are prefetched by the caller); none without deliveries."""
    if not deliveries:
        return []
    keys = [d.message_key for d in deliveries]
    messages = {
        m.key: m
        for m in Message.objects.for_member(member)
        .filter(key__in=keys)
        .only("key", "status", "sent_at", "skip_reason", "clinic_id")
    }
    out = []
    for delivery in deliveries:
        message = messages.get(delivery.message_key)
        link = delivery.link
        if link is None or message is None or message.status == MessageStatus.SKIPPED:
            reason = delivery.skip_reason or (message.skip_reason if message else "")
            note = SKIP_REASONS.get(reason, reason)
            for item in _items(delivery):
                out.append(DeliveryState(delivery, item, "not sent", note=note))
            continue
        if message.status in (MessageStatus.QUEUED, MessageStatus.SENDING):
            base = DeliveryState(delivery, "", "queued")
        elif message.status == MessageStatus.FAILED:
            base = DeliveryState(delivery, "", "failed")
        else:
            base = DeliveryState(delivery, "", "sent", message.sent_at)
        if link.opened_at is not None:
            base = DeliveryState(delivery, "", "opened", link.opened_at)
        given = {a.instrument_id: a for a in link.administrations.all()}
        for item in _items(delivery):
            done = given.get(item)
            if delivery.purpose == Purpose.SLEEP_DIARY and link.used_at is not None:
                out.append(DeliveryState(delivery, item, "completed", link.used_at))
            elif done is not None and done.status == Status.COMPLETED:
                out.append(DeliveryState(delivery, item, "completed", done.completed_at))
            elif delivery.expired_at is not None:
                out.append(DeliveryState(delivery, item, "expired", link.expires_at))
            else:
                out.append(DeliveryState(delivery, item, base.state, base.at))
    return out


def _items(delivery: Delivery) -> list[str]:
    if delivery.purpose == Purpose.SLEEP_DIARY:
        return ["sleep diary"]
    return delivery.instrument_ids


def delivery_states(
    member: StaffMember, pairs: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], DeliveryState]:
    """(episode, instrument) -> the state of its latest automatic delivery, for the due list's
    rows ``pairs``. Three queries, whatever the number of rows."""
    pairs = set(pairs)
    if not pairs:
        return {}
    deliveries = list(
        Delivery.objects.for_member(member)
        .filter(episode_id__in={e for e, _ in pairs}, purpose=Purpose.QUESTIONNAIRES)
        .select_related("link")
        .prefetch_related("link__administrations")
        .order_by("created_at", "pk")
    )
    latest: dict[tuple[int, str], DeliveryState] = {}
    for state in _states(member, deliveries):  # oldest first: the newest wins
        pair = (state.delivery.episode_id, state.item)
        if pair in pairs:
            latest[pair] = state
    return latest


#: How many of a client's automatic deliveries their page lists.
RECENT_DELIVERIES = 10


def client_deliveries(member: StaffMember, client: Client) -> list[DeliveryState]:
    """The client's latest automatic deliveries, item by item, newest first: for staff who
    send links (``measures.give``); empty for other roles. Four queries."""
    if not member.can("measures.give"):
        return []
    deliveries = list(
        Delivery.objects.for_member(member)
        .filter(client=client)
        .select_related("link")
        .prefetch_related("link__administrations")
        .order_by("-created_at", "-pk")[:RECENT_DELIVERIES]
    )
    return _states(member, deliveries)


def filled_for_visits(
    member: StaffMember, start: dt.datetime, end: dt.datetime, client_ids: Any
) -> dict[int, set[str]]:
    """Client -> the instruments they completed through the links the plan sent before their
    appointments starting in ``[start, end)`` (``client_ids``: ids or a subquery). One
    query."""
    rows = (
        Delivery.objects.for_member(member)
        .filter(
            appointment__starts_at__gte=start,
            appointment__starts_at__lt=end,
            client_id__in=client_ids,
            link__administrations__status=Status.COMPLETED,
        )
        .values_list("client_id", "link__administrations__instrument_id")
        .distinct()
    )
    filled: dict[int, set[str]] = {}
    for client_id, instrument_id in rows:
        filled.setdefault(client_id, set()).add(instrument_id)
    return filled
