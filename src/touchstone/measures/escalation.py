"""Risk alerts that reach a clinician (DESIGN.md, clinical safety rules; docs/messaging.md).

When an alert is raised, the first clinician on the clinic's on-call list (every licensed
clinician when the list is empty) is notified at once by e-mail and text: the fact of an
alert and a link, never the answer. If nobody acknowledges it within the clinic's escalation
time, the worker's ``escalate_alerts`` job notifies the next person on the list and the
owner; again after each further escalation time, until the list is exhausted.
"""

from __future__ import annotations

import datetime as dt

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


def do_notify_alert(actor: Actor, alert: RiskAlert, level: int) -> int:
    """Queue the notices of ``alert`` at ``level`` (e-mail and text to each recipient; keys
    make it idempotent) and have the worker send them now. The number of recipients."""
    link = settings.SITE_URL + reverse("measures:alert", kwargs={"alert_id": alert.pk})
    people = recipients(alert, level)
    minutes = alert.clinic.escalation_minutes * level
    with transaction.atomic():
        for member in people:
            for channel in (Channel.EMAIL, Channel.SMS):
                do_queue_staff_message(
                    actor, member, channel,
                    key=f"alert:{alert.pk}:{level}:{member.pk}:{channel}",
                    kind=Kind.ALERT if level == 0 else Kind.ESCALATION,
                    context={"link": link, "minutes": minutes},
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
