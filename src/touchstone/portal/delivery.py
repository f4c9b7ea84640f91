"""Automatic measurement delivery: the episode's measurement plan sends the questionnaires it
makes due (and the sleep diary, where the plan has it) as private links, reminds once, and
lets them expire (docs/messaging.md, "Questionnaires sent by the plan").

One sweep, :func:`do_deliver_measurements`, run by the worker every few minutes
(``portal.tasks.deliver_measurements``) for each clinic that turned it on (Clinic settings):

* **Before a visit.** For each upcoming appointment (booked or confirmed) that starts within
  the clinic's lead time (``delivery_lead_hours``), the client's open episodes send what their
  plans make due on the visit's day (``care.plans.instruments_due`` with the visit: intake,
  periodic and per-visit questionnaires); the link expires when the visit starts.
* **On the plan's schedule.** Intake and periodic questionnaires due by today that no visit
  covers go out on the day they fall due; the link works ``delivery_valid_days``. Items that
  fell due more than :data:`CATCH_UP` ago are left to staff (a clinic that turns delivery on
  does not mail a year of overdue intake forms).
* **Sleep diary.** An episode whose plan has the diary gets a diary link per period of
  ``delivery_valid_days`` days from its start, while it is open.
* **Reminder.** A questionnaire or diary link through which nothing was submitted gets one
  reminder ``delivery_reminder_days`` after it was sent, while it still works.
* **Completed.** A questionnaire link is completed when the client submits it; a diary link
  when the client submits a first night through it (``PortalLink.used_at``; the link keeps
  working for the period's other nights).
* **Expiry.** A link that expired unfilled is marked expired (the due list says so) and its
  messages still queued (held by the quiet hours: the link itself, its reminder) are voided;
  the send job sends no message whose link no longer works in any case (``portal/outbox.py``).

Idempotent: each delivery names what it covers (``Delivery.items``: instrument and occasion)
and has a unique key, and each message has a unique key, so a second run (or a second worker)
sends nothing twice. The client's channel preference and opt-out are the messaging app's
(``client_address``): a client who opted out (or has no address) gets no link; the delivery is
recorded as not sent, with the reason. Messages carry a greeting, the clinic, dates and the
link: never an instrument's name, a score or a diagnosis.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.models import Episode
from touchstone.care.plans import DueInstrument, instruments_due
from touchstone.clients.models import Client
from touchstone.measures.models import Administration
from touchstone.messaging.actions import client_address, do_queue_client_message, do_void_queued
from touchstone.messaging.models import Kind
from touchstone.portal.actions import do_create_portal_link
from touchstone.portal.models import Delivery, PortalLink, Purpose
from touchstone.scheduling.models import Appointment
from touchstone.scheduling.selectors import appointments_to_remind

#: Intake and periodic questionnaires that fell due longer ago than this are not sent by the
#: schedule (staff send them, or the next visit's delivery does).
CATCH_UP = dt.timedelta(days=7)
#: A link sent before a visit must leave the client at least this long to fill it (after the
#: quiet hours): otherwise it is not sent.
MIN_TIME_TO_FILL = dt.timedelta(hours=1)


@dataclass
class _Plan:
    episode: Episode
    key: str
    purpose: str
    items: list[str]
    expires_at: dt.datetime
    appointment: Appointment | None = None
    instrument_ids: list[str] = field(default_factory=list)


def link_url(link: PortalLink) -> str:
    """The absolute URL of a private link (``SITE_URL``: the worker has no request)."""
    return f"{settings.SITE_URL}{reverse('portal:open', args=[link.token])}"


def _last_completions(clinic: Clinic, client_ids: set[int]) -> dict[int, dict[str, dt.date]]:
    """Client -> instrument -> the day (clinic time) of the last completion. One query."""
    last: dict[int, dict[str, dt.date]] = defaultdict(dict)
    rows = (
        Administration.objects.filter(clinic=clinic, client_id__in=client_ids)
        .completed()
        .filter(completed_at__isnull=False)
        .values("client_id", "instrument_id")
        .annotate(last=Max("completed_at"))
        .values_list("client_id", "instrument_id", "last")
        .order_by()
    )
    for client_id, instrument_id, when in rows:
        last[client_id][instrument_id] = timezone.localtime(when, clinic.zone).date()
    return last


def _open_episodes(clinic: Clinic, today: dt.date) -> list[Episode]:
    episodes = (
        Episode.objects.filter(clinic=clinic, started_on__lte=today)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .filter(client__archived_at__isnull=True)
        .select_related("client", "clinic")
        .order_by("pk")
    )
    return [
        e
        for e in episodes
        if e.plan_intake or e.plan_each_visit or e.plan_periodic or e.plan_sleep_diary
    ]


def _occasion(due: DueInstrument, appointment: Appointment) -> str:
    """A per-visit questionnaire is due for this visit; the others on the day they fell due."""
    return f"appt{appointment.pk}" if due.reason == "session" else due.due_on.isoformat()


def plan_deliveries(clinic: Clinic, now: dt.datetime) -> list[_Plan]:
    """What the sweep would send now (reads only): one plan per episode and occasion, the items
    already covered by an earlier delivery left out."""
    zone = clinic.zone
    today = timezone.localtime(now, zone).date()
    episodes = _open_episodes(clinic, today)
    if not episodes:
        return []
    by_client: dict[int, list[Episode]] = defaultdict(list)
    for episode in episodes:
        by_client[episode.client_id].append(episode)
    covered: set[tuple[int, str]] = set()
    for episode_id, items in Delivery.objects.filter(
        clinic=clinic, episode_id__in=[e.pk for e in episodes]
    ).values_list("episode_id", "items"):
        covered.update((episode_id, item) for item in items)
    completed = _last_completions(clinic, set(by_client))
    plans: list[_Plan] = []

    def take(episode: Episode, items: list[tuple[str, str]]) -> list[tuple[str, str]]:
        fresh = [(i, item) for i, item in items if (episode.pk, item) not in covered]
        covered.update((episode.pk, item) for _, item in fresh)
        return fresh

    # Before a visit: what the plans make due on the visit's day.
    lead = dt.timedelta(hours=clinic.delivery_lead_hours)
    earliest = clinic.after_quiet_hours(now) + MIN_TIME_TO_FILL
    for appointment in appointments_to_remind(clinic, now, now + lead):
        if appointment.starts_at < earliest:
            continue
        visit_day = timezone.localtime(appointment.starts_at, zone).date()
        for episode in by_client.get(appointment.client_id, []):
            if episode.ended_on is not None and episode.ended_on < visit_day:
                continue
            done = _since_start(episode, completed)
            due = instruments_due(episode, visit_day, done, visit_today=True)
            items = take(
                episode,
                [(d.instrument_id, f"{d.instrument_id}@{_occasion(d, appointment)}") for d in due],
            )
            if items:
                plans.append(
                    _Plan(
                        episode, f"{episode.pk}:appt{appointment.pk}", Purpose.QUESTIONNAIRES,
                        [item for _, item in items], appointment.starts_at, appointment,
                        sorted({i for i, _ in items}),
                    )
                )  # fmt: skip

    # On the plan's schedule: intake and periodic questionnaires on the day they fall due.
    valid = dt.timedelta(days=clinic.delivery_valid_days)
    for episode in episodes:
        due = instruments_due(episode, today, _since_start(episode, completed))
        items = take(
            episode,
            [
                (d.instrument_id, f"{d.instrument_id}@{d.due_on.isoformat()}")
                for d in due
                if today - d.due_on <= CATCH_UP
            ],
        )
        if items:
            plans.append(
                _Plan(
                    episode, f"{episode.pk}:d{today.isoformat()}", Purpose.QUESTIONNAIRES,
                    [item for _, item in items], now + valid, None, sorted({i for i, _ in items}),
                )
            )  # fmt: skip

    # The sleep diary: one link per period of ``delivery_valid_days`` days from the start.
    for episode in episodes:
        if not episode.plan_sleep_diary:
            continue
        period = (today - episode.started_on).days // clinic.delivery_valid_days
        start = episode.started_on + period * valid
        item = f"diary@{start.isoformat()}"
        if (episode.pk, item) in covered:
            continue
        covered.add((episode.pk, item))
        ends = dt.datetime.combine(start + valid, dt.time.min, tzinfo=zone)
        plans.append(_Plan(episode, f"{episode.pk}:{item}", Purpose.SLEEP_DIARY, [item], ends))
    return plans


def _since_start(episode: Episode, completed: dict[int, dict[str, dt.date]]) -> dict[str, dt.date]:
    """The episode's completions: those on or after its start (as ``outcomes.summaries``)."""
    return {k: v for k, v in completed[episode.client_id].items() if v >= episode.started_on}


def _send(actor: Actor, clinic: Clinic, plan: _Plan) -> Delivery | None:
    """Record the delivery, create its link and queue its message, in one transaction; None
    when another worker recorded the same key a moment ago."""
    client: Client = plan.episode.client
    _channel, _to, reason = client_address(client)
    delivery = Delivery(
        clinic=clinic, client=client, episode=plan.episode, appointment=plan.appointment,
        key=plan.key, purpose=plan.purpose, items=plan.items, skip_reason=reason,
    )  # fmt: skip
    try:
        with transaction.atomic():
            delivery.save()
            context: dict[str, Any] = {"link": "", "expires_at": plan.expires_at}
            if not reason:
                link = do_create_portal_link(
                    actor, client, plan.purpose, plan.instrument_ids, plan.expires_at
                )
                delivery.link = link
                delivery.save(update_fields=["link"])
                context["link"] = link_url(link)
            if plan.appointment is not None:
                context["visit_at"] = plan.appointment.starts_at
            record(
                actor, Action.CREATE, delivery,
                detail=f"{plan.purpose}: {len(plan.items)} item(s)"
                + (f", not sent: {reason}" if reason else ""),
            )  # fmt: skip
            kind = Kind.SLEEP_DIARY if plan.purpose == Purpose.SLEEP_DIARY else Kind.QUESTIONNAIRES
            do_queue_client_message(
                actor, client, key=delivery.message_key, kind=kind, context=context
            )
    except IntegrityError:  # the same key, recorded by another worker
        return None
    return delivery


#: The reminder's message kind for each purpose of a delivery.
REMINDER_KIND = {
    Purpose.QUESTIONNAIRES: Kind.QUESTIONNAIRES_REMINDER,
    Purpose.SLEEP_DIARY: Kind.SLEEP_DIARY_REMINDER,
}


def _remind(actor: Actor, clinic: Clinic, now: dt.datetime) -> int:
    """One reminder for each questionnaire or sleep diary link sent
    ``delivery_reminder_days`` ago through which nothing was submitted yet, while it works for
    at least another ``MIN_TIME_TO_FILL``."""
    due = (
        Delivery.objects.filter(
            clinic=clinic,
            purpose__in=list(REMINDER_KIND),
            link__isnull=False,
            reminded_at__isnull=True,
            expired_at__isnull=True,
            created_at__lte=now - dt.timedelta(days=clinic.delivery_reminder_days),
            link__used_at__isnull=True,
            link__revoked_at__isnull=True,
            link__expires_at__gt=clinic.after_quiet_hours(now) + MIN_TIME_TO_FILL,
            client__archived_at__isnull=True,
        )
        .select_related("client", "link", "clinic")
        .order_by("pk")
    )
    reminded = 0
    for delivery in due:
        link = delivery.link
        assert link is not None  # filtered above
        with transaction.atomic():
            do_queue_client_message(
                actor, delivery.client, key=delivery.reminder_key,
                kind=REMINDER_KIND[Purpose(delivery.purpose)],
                context={"link": link_url(link), "expires_at": link.expires_at},
            )  # fmt: skip
            delivery.reminded_at = now
            delivery.save(update_fields=["reminded_at"])
        reminded += 1
    return reminded


def _expire(actor: Actor, clinic: Clinic, now: dt.datetime) -> int:
    """Deliveries whose link expired (or was revoked) unfilled are marked expired; a reminder
    still queued for them (held by the quiet hours) is voided."""
    gone = list(
        Delivery.objects.filter(clinic=clinic, link__isnull=False, expired_at__isnull=True)
        .filter(Q(link__expires_at__lte=now) | Q(link__revoked_at__isnull=False))
        .exclude(purpose__in=list(REMINDER_KIND), link__used_at__isnull=False)
        .order_by("pk")
    )
    if not gone:
        return 0
    with transaction.atomic():
        Delivery.objects.filter(pk__in=[d.pk for d in gone]).update(expired_at=now)
        record(
            actor, Action.UPDATE, object_type="portal.delivery",
            detail=f"{len(gone)} link(s) expired unfilled", clinic=clinic,
        )  # fmt: skip
        keys = [key for d in gone for key in (d.message_key, d.reminder_key)]
        do_void_queued(actor, clinic, keys=keys, reason="link_gone")
    return len(gone)


def do_deliver_measurements(actor: Actor, clinic: Clinic) -> dict[str, int]:
    """The sweep (module docstring): send what is due, remind, expire. Counts only."""
    if not clinic.delivery_enabled:
        return {"sent": 0, "not_sent": 0, "reminded": 0, "expired": 0}
    now = timezone.now()
    sent = not_sent = 0
    for plan in plan_deliveries(clinic, now):
        delivery = _send(actor, clinic, plan)
        if delivery is None:
            continue
        if delivery.skip_reason:
            not_sent += 1
        else:
            sent += 1
    reminded = _remind(actor, clinic, now)
    expired = _expire(actor, clinic, now)
    return {"sent": sent, "not_sent": not_sent, "reminded": reminded, "expired": expired}
