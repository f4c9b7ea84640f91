"""Risk alerts that reach a clinician (DESIGN.md, clinical safety rules; docs/messaging.md).

When an alert is raised, the first clinician on the clinic's on-call list (every licensed
clinician when the list is empty) is notified at once by e-mail and text: the fact of an
alert and a link, never the answer. If nobody acknowledges it within the clinic's escalation
time, the worker's ``escalate_alerts`` job notifies the next person on the list and the
owner; again after each further escalation time, until the list is exhausted. A clinician's
notice links to the alert; the owner's (who may not handle alerts) to the open alerts they
may view and, in a clinic without a clinician, to the invitation of one (``notice_links``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import roles_with
from touchstone.audit.actor import Actor
from touchstone.logs import get_logger
from touchstone.measures.models import RiskAlert
from touchstone.messaging.actions import do_queue_staff_message, on_call_list
from touchstone.messaging.models import Channel, Kind
from touchstone.messaging.tasks import send_due_messages

#: Alerts raised longer ago than this and never notified (raised before notification
#: existed) are not notified late by the sweep.
CATCH_UP = dt.timedelta(hours=24)

log = get_logger("touchstone.measures")


def _owners(clinic: Clinic) -> list[StaffMember]:
    return list(
        StaffMember.objects.filter(
            clinic=clinic, is_active=True, role__in=roles_with("oncall.manage")
        ).select_related("user")
    )


def recipients(alert: RiskAlert, level: int) -> list[StaffMember]:
    """Who is notified at ``level``: the first on call at 0; at n, the n-th next on the list
    and the owners. A clinic without any licensed clinician (a new one, before its staff are
    invited) tells its owners at once: never nobody."""
    people = on_call_list(alert.clinic)
    if level == 0:
        return people[:1] or _owners(alert.clinic)
    owners = _owners(alert.clinic)
    chosen = [people[level]] if level < len(people) else []
    return chosen + [o for o in owners if o not in chosen]


def max_level(alert: RiskAlert) -> int:
    """The last escalation: everyone on the list has been reached (the owner at least once)."""
    return max(len(on_call_list(alert.clinic)) - 1, 1)


def notice_links(alert: RiskAlert, member: StaffMember, no_clinician: bool) -> dict[str, Any]:
    """What ``member``'s notice of ``alert`` links to, as the notice templates read it. A
    clinician (``handles``): the alert, to acknowledge and handle it. Anyone else (the owner,
    told when nobody else is or on escalation) may not open it (accounts.roles): the open
    alerts they may view and, when the clinic has ``no_clinician``, the invitation of one with
    the role pre-selected, as the home page's notice does."""
    if member.can("alerts.handle"):
        path = reverse("measures:alert", kwargs={"alert_id": alert.pk})
        return {"handles": True, "link": settings.SITE_URL + path}
    alerts = settings.SITE_URL + reverse("measures:alerts")
    links: dict[str, Any] = {"handles": False, "link": alerts}
    if no_clinician:
        links["invite"] = settings.SITE_URL + reverse("accounts:staff_invite") + "?role=clinician"
    return links


def do_notify_alert(actor: Actor, alert: RiskAlert, level: int) -> int:
    """Queue the notices of ``alert`` at ``level`` (e-mail and text to each recipient; keys
    make it idempotent) and have the worker send them now. The number of recipients."""
    people = recipients(alert, level)
    minutes = alert.clinic.escalation_minutes * level
    # Asked only when someone who may not handle the alert is told (one query).
    owner_told = not all(member.can("alerts.handle") for member in people)
    no_clinician = owner_told and not alert.clinic.has_clinician()
    with transaction.atomic():
        for member in people:
            context = {"minutes": minutes, **notice_links(alert, member, no_clinician)}
            for channel in (Channel.EMAIL, Channel.SMS):
                do_queue_staff_message(
                    actor, member, channel,
                    key=f"alert:{alert.pk}:{level}:{member.pk}:{channel}",
                    kind=Kind.ALERT if level == 0 else Kind.ESCALATION,
                    context=context,
                )  # fmt: skip
        alert.escalation_level, alert.notified_at = level, timezone.now()
        alert.save(update_fields=["escalation_level", "notified_at"])
        send_due_messages.enqueue(clinic_id=alert.clinic_id)
    log.info("alert_notified", alert_id=alert.pk, level=level, recipients=len(people))
    return len(people)


def do_escalate_alerts(actor: Actor, clinic: Clinic) -> dict[str, int]:
    """Notify what is due: alerts never notified, and open alerts nobody acknowledged within
    the escalation time since their last notice."""
    now = timezone.now()
    unacknowledged = RiskAlert.objects.filter(clinic=clinic).open().filter(
        acknowledged_at__isnull=True
    ).select_related("clinic")  # fmt: skip
    notified = escalated = 0
    for alert in unacknowledged.filter(notified_at__isnull=True, raised_at__gte=now - CATCH_UP):
        do_notify_alert(actor, alert, 0)
        notified += 1
    for alert in unacknowledged.filter(notified_at__isnull=False):
        wait = dt.timedelta(minutes=alert.clinic.escalation_minutes)
        due = alert.notified_at is not None and now - alert.notified_at >= wait
        if due and alert.escalation_level < max_level(alert):
            do_notify_alert(actor, alert, alert.escalation_level + 1)
            escalated += 1
    return {"notified": notified, "escalated": escalated}
