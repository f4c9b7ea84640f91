"""Project-level pages: the home page (the health check is operations/health.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from touchstone.accounts.access import MemberRequest, requires
from touchstone.accounts.models import StaffMember, StaffNotice
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.billing.selectors import period_money
from touchstone.care.models import Visit, VisitStatus
from touchstone.care.selectors import day_bounds, unsigned_notes
from touchstone.clients.models import Client
from touchstone.measures.selectors import no_clinician, open_alerts
from touchstone.outcomes import summaries
from touchstone.scheduling.models import BLOCKING, Appointment, Status
from touchstone.scheduling.selectors import week_figures

#: Each tile of the home page shows its count and at most this many rows; the tile's link
#: opens the full, paged list. With a few tiles, the page fits a 1366x768 laptop screen.
HOME_ROWS = 3


@dataclass(frozen=True)
class TodayRow:
    """One line of "today's visits": an appointment of the calendar, or a visit documented
    without one (a walk-in)."""

    starts_at: dt.datetime
    client_id: int
    client_name: str
    status: str
    appointment_id: int | None
    visit_id: int | None


_NAMES = ("client__given_name", "client__preferred_name", "client__family_name")
_APPOINTMENT_STATUS = dict(Status.choices)
_VISIT_STATUS = dict(VisitStatus.choices)


def _today(member: StaffMember) -> list[TodayRow]:
    """Today's visits come from the calendar (appointments that hold time, and no-shows);
    visits documented without an appointment are added so none is missing, and the day
    reads in time order (at the same time: appointments first, the member's own first).

    Two queries of plain rows: the tile shows times, names and statuses, and full models
    (notes, service, room, staff joined) cost every home page milliseconds of CPU."""
    day = timezone.localdate()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=member.clinic.zone)
    appointments = (
        Appointment.objects.for_member(member)
        .overlapping(start, start + dt.timedelta(days=1))
        .filter(status__in=(*BLOCKING, Status.NO_SHOW))
        .values_list("starts_at", "pk", "visit_id", "status", "staff_id", "client_id", *_NAMES)
        .order_by()  # sorted below, with the walk-ins
    )
    day_start, day_end = day_bounds(day)
    visits = (
        Visit.objects.for_member(member)
        .filter(starts_at__gte=day_start, starts_at__lt=day_end)
        .values_list("starts_at", "pk", "status", "therapist_id", "client_id", *_NAMES)
        .order_by()
    )
    keyed: list[tuple[tuple[dt.datetime, int, bool, int], TodayRow]] = []
    linked = set()
    for when, pk, visit_id, status, staff_id, client_id, *names in appointments:
        linked.add(visit_id)
        row = TodayRow(when, client_id, Client.name_of(*names),
                       _APPOINTMENT_STATUS.get(status, status), pk, visit_id)  # fmt: skip
        keyed.append(((when, 0, staff_id != member.pk, pk), row))
    for when, pk, status, staff_id, client_id, *names in visits:
        if pk in linked:
            continue
        row = TodayRow(when, client_id, Client.name_of(*names),
                       _VISIT_STATUS.get(status, status), None, pk)  # fmt: skip
        keyed.append(((when, 1, staff_id != member.pk, pk), row))
    return [row for _, row in sorted(keyed, key=lambda pair: pair[0])]


def _stored_lists(member: StaffMember, today: dt.date) -> dict[str, Any]:
    """The tiles read from ``outcomes.summaries``' stored lists that the member's role may
    see, with one check of the lists for all of them."""
    tiles: dict[str, Any] = {}
    wanted = (
        member.can("measures.give"),
        member.can("measures.view"),
        member.can("outcomes.view") and member.can("clients.view"),
    )
    if not any(wanted):
        return tiles
    with summaries.lists_read_together(member):
        if wanted[0]:
            tiles["due"] = summaries.questionnaires_due(member, today, limit=HOME_ROWS)
        if wanted[1]:
            tiles["deteriorated"] = summaries.deteriorated(member, limit=HOME_ROWS)
        if wanted[2]:
            tiles["off_track"] = summaries.not_on_track(member, limit=HOME_ROWS)
    return tiles


@requires("account.self")
def home(request: MemberRequest) -> HttpResponse:
    """A few tiles per role, each a count and its first rows (constant queries: the stored
    lists of ``outcomes.summaries``, today's calendar, the owner's week)."""
    member = request.member
    today = timezone.localdate()
    context: dict[str, Any] = {
        "notices": list(StaffNotice.objects.for_member(member).unread()[:10]),
        "rows": HOME_ROWS,
    }
    if member.can("clients.view"):
        context["client_count"] = Client.objects.for_member(member).active().count()
        context["visits_today"] = _today(member)
    untaken = False
    if member.can("alerts.view"):
        context["alerts"] = alerts = open_alerts(member, limit=HOME_ROWS)
        untaken = any(not alert.handler for alert in alerts.newest)
    if untaken or member.can("staff.manage"):
        # The owner is asked to invite a clinician while the clinic has none; whoever is shown
        # an untaken alert, why nobody takes it (one query).
        context["no_clinician"] = no_clinician(member)
    context.update(_stored_lists(member, today))
    if member.can("care.edit"):
        context["unsigned"] = unsigned_notes(member, timezone.now())
    if member.can("billing.reports"):
        context["week"] = week_figures(member.clinic, today)
        start = dt.datetime.combine(context["week"].first_day, dt.time.min, member.clinic.zone)
        context["money"] = period_money(member.clinic, start, start + dt.timedelta(days=7))
    if member.can("clients.view"):
        # The home page lists clients (due, alerts, visits today): an audited read.
        record(request.actor, Action.LIST, object_type="clients.client", detail="home page")
    return render(request, "home.html", context)
