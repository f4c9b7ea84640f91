"""Every page and API list of the load benchmark runs the same number of SQL queries for a
clinic of 200 clients and for one of 10,000 (issue 11 §2, goal (c)).

The clinic is bulk-built (outcomes/tests/factories.build_outcomes, then lean bulk inserts up
to 10,000 clients), its summaries refreshed as the nightly job would, and each page is
fetched once warm before its queries are counted. A query whose count follows the rows
(``in_bulk`` batches of 999 ids, a query per client) makes the two counts differ. The home
page's calendar block (today's appointments and walk-ins) and unsigned notes, and the
scheduling API's lists, are counted too.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.accounts import middleware
from touchstone.audit.actor import Actor
from touchstone.care.models import Episode, Visit
from touchstone.care.tests.factories import make_episode
from touchstone.clients.models import Client
from touchstone.conftest import Cast
from touchstone.measures.models import Administration, Mode, Status
from touchstone.outcomes.summaries import refresh_clinic
from touchstone.outcomes.tests.factories import build_outcomes
from touchstone.scheduling.models import Appointment
from touchstone.scheduling.tests.factories import make_location, make_room, make_service
from touchstone.tests import db_roles

pytestmark = pytest.mark.slow


def _grow(cast: Cast, total: int) -> None:
    """Bulk-add clients up to ``total``: each with an episode, two visits and a PHQ-9 and a
    GAD-7 at its start and four weeks later (a few deteriorate)."""
    clinic = cast.harbour
    have = Client.objects.filter(clinic=clinic).count()
    today = timezone.localdate()
    clients = Client.objects.bulk_create(
        [
            Client(
                clinic=clinic,
                given_name=f"Bulk{i}",
                family_name="Synthetic",
                date_of_birth=dt.date(1980, 1, 1),
                consent_to_treatment=True,
                consent_to_treatment_on=dt.date(2024, 1, 1),
            )
            for i in range(total - have)
        ],
        batch_size=500,
    )
    episodes = Episode.objects.bulk_create(
        [
            Episode(
                clinic=clinic,
                client=c,
                title="Care",
                started_on=today - dt.timedelta(weeks=6, days=i % 30),
                plan_intake=["phq9", "gad7"],
                plan_periodic=["phq9"],
                plan_every_weeks=2,
            )
            for i, c in enumerate(clients)
        ],
        batch_size=500,
    )
    visits, scores = [], []
    for i, (client, episode) in enumerate(zip(clients, episodes, strict=True)):
        start = dt.datetime.combine(
            episode.started_on, dt.time(10), timezone.get_current_timezone()
        )
        for week in (0, 4):
            when = start + dt.timedelta(weeks=week)
            visits.append(
                Visit(
                    clinic=clinic,
                    client=client,
                    episode=episode,
                    therapist=cast.tess,
                    starts_at=when,
                    status="completed",
                )
            )
            worse = 8 if i % 9 == 0 else -4
            for instrument_id, base in (("phq9", 14), ("gad7", 11)):
                total_score = base + (worse if week else 0)
                scores.append(
                    Administration(
                        clinic=clinic,
                        client=client,
                        instrument_id=instrument_id,
                        mode=Mode.CLINIC,
                        status=Status.COMPLETED,
                        total=total_score,
                        computable=True,
                        started_at=when,
                        completed_at=when,
                    )
                )
    Visit.objects.bulk_create(visits, batch_size=500)
    Administration.objects.bulk_create(scores, batch_size=500)
    _analyse()
    refresh_clinic(Actor.system("cli", clinic), clinic, force=True)


def _analyse() -> None:
    """Planner statistics for the rows just added, as autovacuum keeps them in production
    (and restore makes them): PostgreSQL plans the measures' subqueries blind without them
    (one ran for 19 minutes). ANALYZE is the tables' owner's (tests/db_roles.py)."""
    if connection.vendor != "postgresql":
        return
    with db_roles.owner_connection(autocommit=True) as owner:
        owner.execute("ANALYZE")


def _today(cast: Cast, appointments: int) -> None:
    """The home page's "today" block from the calendar: ``appointments`` booked for today
    (10-minute slots of Tess and Bob from 08:00) and a walk-in visit per four of them."""
    clinic = cast.harbour
    day = timezone.localdate(timezone.now(), clinic.zone)
    service, location = make_service(clinic), make_location(clinic)
    room = make_room(clinic)
    clients = list(Client.objects.filter(clinic=clinic).order_by("pk")[: appointments * 2])
    rows = []
    for i in range(appointments):
        staff = (cast.tess, cast.bob)[i % 2]
        start = dt.datetime.combine(day, dt.time(8), clinic.zone) + dt.timedelta(
            minutes=10 * (i // 2)
        )
        rows.append(
            Appointment(
                clinic=clinic,
                client=clients[i],
                staff=staff,
                service=service,
                location=location,
                room=room if i % 2 else None,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=10),
            )
        )
    Appointment.objects.bulk_create(rows)
    Visit.objects.bulk_create(
        Visit(
            clinic=clinic,
            client=clients[appointments + i],
            therapist=cast.tess,
            starts_at=dt.datetime.combine(day, dt.time(18), clinic.zone) + dt.timedelta(minutes=i),
            status="scheduled",
        )
        for i in range(appointments // 4)
    )


def _api(username: str) -> HttpClient:
    out = io.StringIO()
    call_command("token", username, stdout=out)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")


def _counts(cast: Cast) -> dict[str, int]:
    client_id = (
        Client.objects.filter(clinic=cast.harbour).order_by("pk").values_list("pk", flat=True)[0]
    )
    pages = [
        "/",
        "/clients/",
        "/clients/?q=Synthetic",
        f"/clients/{client_id}/",
        f"/clients/{client_id}/progress/",
        # The client record's other tabs these three roles open (issue 17 §1).
        f"/clients/{client_id}/appointments/",
        f"/clients/{client_id}/chart/",
        f"/clients/{client_id}/physiology/",
        f"/clients/{client_id}/documents/",
        "/outcomes/",
        "/outcomes/details/",
        "/outcomes/deteriorated/",
        "/outcomes/not-on-track/",
        "/outcomes/due/",
    ]
    api = [
        "/api/v1/clients/",
        "/api/v1/administrations",
        f"/api/v1/administrations?client_id={client_id}",
        f"/api/v1/care/clients/{client_id}/visits",
        f"/api/v1/care/clients/{client_id}/episodes",
        "/api/v1/appointments",
        "/api/v1/services",
        "/api/v1/rooms",
    ]
    counts: dict[str, int] = {}
    for who, http in (
        ("owner", cast.browser_for(cast.alice)),
        ("clinician", cast.browser_for(cast.bob)),
        ("therapist", cast.browser_for(cast.tess)),
    ):
        for url in pages:
            if who == "therapist" and url.startswith("/outcomes/"):
                continue  # not theirs
            assert http.get(url).status_code == 200, (who, url)  # warm
            with CaptureQueriesContext(connection) as queries:
                assert http.get(url).status_code == 200, (who, url)
            counts[f"{who} {url}"] = len(queries)
    http = _api("bob")
    for url in api:
        assert http.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as queries:
            assert http.get(url).status_code == 200, url
        counts[f"api {url}"] = len(queries)
    return counts


@pytest.mark.django_db(transaction=True)  # committed rows, for the owner's ANALYZE
def test_every_benchmarked_page_runs_as_many_queries_for_10000_clients_as_for_200(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
):
    # The idle clock rewrites the session at most once a minute (accounts.middleware): at
    # 10,000 clients on a loaded machine a minute can pass between the warm and the counted
    # request, adding the session's write to one page at random. Rewritten on every request
    # here, it is the same on every counted request, at both sizes.
    monkeypatch.setattr(middleware, "SEEN_RESOLUTION", 0)
    # The home page's blocks grow with the clinic: the stored lists, today's appointments and
    # walk-ins (4 and 1, then 80 and 20), the unsigned notes (every bulk visit is unsigned).
    build_outcomes(cast.harbour, [cast.tess, cast.alice], 200, weeks=6)
    # A questionnaire due at both sizes: the due list shows rows (and reads their automatic
    # deliveries' states) at 200 clients as at 10,000, where the bulk episodes' plans fill it.
    make_episode(cast.harbour, started_on=timezone.localdate(), plan_intake=["phq9"])
    refresh_clinic(Actor.system("cli", cast.harbour), cast.harbour, force=True)
    _today(cast, 4)
    small = _counts(cast)
    _grow(cast, 10_000)
    Appointment.objects.filter(clinic=cast.harbour).delete()
    _today(cast, 80)
    assert Client.objects.filter(clinic=cast.harbour).count() == 10_000
    large = _counts(cast)
    grew = {page: (small[page], large[page]) for page in small if small[page] != large[page]}
    assert not grew, grew
