"""The home page: a few tiles per role, each a count and its first rows, opening the full
list; the owner's week at a glance; constant queries whatever the clinic holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.accounts.roles import Role
from touchstone.care.tests.factories import make_visit
from touchstone.conftest import Cast, make_client, make_member
from touchstone.measures.models import RiskAlert
from touchstone.measures.selectors import open_alerts
from touchstone.measures.tests.factories import answered
from touchstone.scheduling.models import Status
from touchstone.scheduling.selectors import week_figures
from touchstone.scheduling.tests.factories import (
    local,
    make_appointment,
    make_weekday_hours,
    next_weekday,
)

pytestmark = pytest.mark.django_db


def _home(cast: Cast, member: object) -> str:
    return cast.browser_for(member).get("/").content.decode()


def test_it_shows_each_role_only_its_tiles(cast: Cast):
    owner, clinician = _home(cast, cast.alice), _home(cast, cast.bob)
    desk, researcher = _home(cast, cast.fiona), _home(cast, cast.rita)
    assert "This week" in owner and "Utilisation" in owner and "Not on track" in owner
    assert "This week" not in clinician and "Not on track" in clinician
    assert "Questionnaires due" in desk and "Today's visits" in desk
    assert "Reliably worse" not in desk and "Not on track" not in desk and "This week" not in desk
    assert "Research" in researcher and "Today's visits" not in researcher


def test_the_week_counts_visits_no_shows_and_the_share_of_working_time_booked(cast: Cast):
    make_weekday_hours(cast.harbour, cast.tess)  # 5 days x 7 hours = 2,100 minutes
    monday = next_weekday(0)
    client = make_client(cast.harbour)
    for day, status in enumerate(
        [Status.COMPLETED, Status.NO_SHOW, Status.BOOKED, Status.CANCELLED, Status.ARRIVED]
    ):
        when = local(monday + dt.timedelta(days=day), 10, clinic=cast.harbour)
        make_appointment(cast.harbour, cast.tess, client, when, status=status)
    make_appointment(  # the week after: not counted
        cast.harbour, cast.tess, client, local(monday + dt.timedelta(days=7), 10), status="booked"
    )
    week = week_figures(cast.harbour, monday + dt.timedelta(days=3))
    assert (week.first_day, week.done, week.booked, week.no_shows) == (monday, 2, 1, 1)
    assert (week.booked_minutes, week.open_minutes) == (180, 2100)
    assert week.utilisation == pytest.approx(180 / 2100)


def test_the_weeks_working_time_is_that_of_active_staff_who_treat(cast: Cast):
    make_weekday_hours(cast.harbour, cast.tess)  # 2,100 minutes
    make_weekday_hours(cast.harbour, cast.fiona)  # front desk: no appointments are with them
    one_hour = {"starts": dt.time(8), "ends": dt.time(9), "break_starts": None, "break_ends": None}
    make_weekday_hours(cast.harbour, cast.bob, **one_hour)  # 5 x 60 minutes
    monday = next_weekday(0)
    assert week_figures(cast.harbour, monday).open_minutes == 2100 + 300
    cast.bob.is_active = False
    cast.bob.save(update_fields=["is_active"])
    assert week_figures(cast.harbour, monday).open_minutes == 2100


def test_the_week_takes_the_same_queries_for_a_full_calendar(cast: Cast):
    make_weekday_hours(cast.harbour, cast.tess)
    make_weekday_hours(cast.harbour, cast.bob)
    monday = next_weekday(0)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            week_figures(cast.harbour, monday)
        return len(captured)

    make_appointment(cast.harbour, cast.tess, starts_at=local(monday, 9, clinic=cast.harbour))
    few = queries()
    for hour in range(10, 17):
        make_appointment(cast.harbour, cast.bob, starts_at=local(monday, hour, clinic=cast.harbour))
    assert queries() == few <= 4  # the appointments per status; weekly hours, exceptions, time off


def test_the_owners_home_page_says_the_week_in_words(cast: Cast):
    make_weekday_hours(cast.harbour, cast.tess)
    page = _home(cast, cast.alice)
    assert "0 done, 0 still booked" in page and "0% of working hours booked" in page
    assert "$0.00 received" in page


def test_an_appointment_with_its_visit_documented_is_listed_once_linking_the_visit(cast: Cast):
    now = timezone.now()
    client = make_client(cast.harbour, family_name="Documented")
    visit = make_visit(cast.harbour, client, starts_at=now, therapist=cast.tess)
    make_appointment(cast.harbour, cast.tess, client, starts_at=now, visit=visit)
    page = _home(cast, cast.tess)
    assert page.count("Documented") == 1 and f"/visits/{visit.pk}/" in page


@pytest.mark.parametrize(("who", "most"), [("alice", 29), ("bob", 24)])
def test_the_home_page_reads_its_tiles_in_few_queries(cast: Cast, who: str, most: int):
    make_weekday_hours(cast.harbour, cast.tess)
    http = cast.browser_for(getattr(cast, who))
    http.get("/")  # the first view of a clinic builds its lists (outcomes.summaries)
    cache.clear()  # the lists read afresh, not the copy read before
    with CaptureQueriesContext(connection) as queries:
        assert http.get("/").status_code == 200
    # One check of the stored lists for the three list tiles; the user, membership and clinic
    # in one query; the owner's week in four (no read of the staff) and its money in one.
    # PostgreSQL also takes the audit chain's lock.
    assert len(queries) <= most + (connection.vendor == "postgresql")


def test_the_alerts_tile_counts_every_open_alert_and_shows_the_newest_with_who_handles_them(
    cast: Cast,
):
    now = timezone.now()
    for n, name in enumerate(["Ada", "Ben", "Cy", "Dee"]):
        client = make_client(cast.harbour, given_name=name, family_name="Alerted")
        answered(client, cast.tess, "phq9", [0] * 8 + [2])
        RiskAlert.objects.filter(client=client).update(raised_at=now - dt.timedelta(hours=4 - n))
    RiskAlert.objects.filter(client__given_name="Dee").update(assigned_to=cast.bob)
    RiskAlert.objects.filter(client__given_name="Ada").update(closed_at=now)  # closed: not counted
    with CaptureQueriesContext(connection) as queries:
        alerts = open_alerts(cast.tess, limit=2)
    assert len(queries) == 1
    assert alerts.count == 3
    assert [(a.client_name, a.handler) for a in alerts.newest] == [
        ("Dee Alerted", cast.bob.display_name),
        ("Cy Alerted", ""),
    ]
    page = _home(cast, cast.tess)
    assert '<span class="tile-count">3</span> Open risk alerts' in page
    assert "Dee Alerted" in page and "Ben Alerted" in page and "Ada Alerted" not in page
    assert "not yet taken" in page and "All 3 open alerts" in page


INVITE_CLINICIAN = 'href="/accounts/staff/invite/?role=clinician"'


def test_a_clinic_without_a_clinician_asks_its_owner_to_invite_one(cast: Cast):
    lone = _home(cast, cast.charlie)  # Northside: its owner alone, as `touchstone setup` makes it
    assert "no licensed clinician yet" in lone and INVITE_CLINICIAN in lone
    assert INVITE_CLINICIAN not in _home(cast, cast.alice)  # Harbour has Bob
    cast.bob.is_active = False
    cast.bob.save(update_fields=["is_active"])
    assert "no licensed clinician yet" in _home(cast, cast.alice)
    assert "no licensed clinician yet" not in _home(cast, cast.tess)  # the owner's to act on


def test_an_invitation_not_yet_accepted_does_not_count_as_a_clinician(cast: Cast):
    # The invited clinician has no password until they follow the e-mailed link: they cannot
    # sign in to take an alert, so the owner is still asked for one.
    invited = make_member(cast.northside, "nadia", Role.CLINICIAN)
    invited.user.set_unusable_password()
    invited.user.save(update_fields=["password"])
    assert "no licensed clinician yet" in _home(cast, cast.charlie)
    invited.user.set_password("correct horse battery")
    invited.user.save(update_fields=["password"])
    assert "no licensed clinician yet" not in _home(cast, cast.charlie)


def test_an_untaken_alert_in_a_clinic_without_a_clinician_says_nobody_can_take_it(cast: Cast):
    answered(make_client(cast.harbour, given_name="Ivy"), cast.tess, "phq9", [0] * 8 + [2])
    assert "not yet taken" in _home(cast, cast.tess)  # Bob can take it
    cast.bob.is_active = False
    cast.bob.save(update_fields=["is_active"])
    owner, therapist = _home(cast, cast.alice), _home(cast, cast.tess)
    assert f"no clinician in this clinic yet — <a {INVITE_CLINICIAN}>invite one</a>" in owner
    assert "no clinician in this clinic yet — its alert notices go to the owner" in therapist
    assert "not yet taken" not in owner and "not yet taken" not in therapist
