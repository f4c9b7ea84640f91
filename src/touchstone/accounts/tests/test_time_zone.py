"""Each clinic works in its own time zone, whatever the server's TIME_ZONE.

The server below runs in Tokyo (UTC+9); Harbour clinic is in Chicago (UTC-6 in March).
At NOW it is 21:30 on Sunday 1 March in Chicago and already 12:30 on Monday 2 March in Tokyo.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.accounts.models import Clinic
from touchstone.audit.models import AuditEvent
from touchstone.care.models import Visit
from touchstone.care.tests.factories import make_visit
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.models import Administration
from touchstone.measures.progress import chart_spec, client_series
from touchstone.measures.tests.factories import answered
from touchstone.physiology.actions import do_create_diary_link
from touchstone.reports.svgchart import series_svg

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
#: 08:00 on 1 March in Chicago (today there); 23:00 on 1 March in Tokyo (yesterday there).
MORNING_VISIT = dt.datetime(2026, 3, 1, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("_server_in_tokyo")


@pytest.fixture
def _server_in_tokyo(settings: Any) -> None:
    settings.TIME_ZONE = "Asia/Tokyo"


@pytest.fixture
def chicago(cast: Cast) -> Cast:
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    return cast


def test_it_refuses_a_time_zone_that_does_not_exist(cast: Cast):
    cast.harbour.time_zone = "America/Springfield"
    with pytest.raises(ValidationError, match="not a time zone name"):
        cast.harbour.full_clean()
    cast.harbour.time_zone = "Europe/Lisbon"
    cast.harbour.full_clean()


def test_a_new_clinic_starts_in_the_servers_time_zone(db: object):
    assert Clinic.objects.create(name="New", slug="new").time_zone == "Asia/Tokyo"


def test_the_owner_changes_the_time_zone_in_clinic_settings(cast: Cast):
    http = cast.browser_for(cast.alice)
    page = http.get("/accounts/clinic/")
    assert b'<option value="America/Chicago">America/Chicago</option>' in page.content
    form = {
        "name": "Harbour Massage",
        "crisis_line": "988",
        "emergency_number": "911",
        "idle_minutes": "20",
    }
    refused = http.post("/accounts/clinic/", {**form, "time_zone": "Mars/Olympus_Mons"})
    assert refused.status_code == 200 and b"Select a valid choice" in refused.content
    http.post("/accounts/clinic/", {**form, "time_zone": "America/Chicago"})
    cast.harbour.refresh_from_db()
    assert cast.harbour.time_zone == "America/Chicago"
    event = AuditEvent.objects.filter(object_type="accounts.clinic").get()
    assert "time_zone" in event.detail


def test_a_chicago_clinic_sees_chicago_times_on_its_pages(chicago: Cast):
    visit = make_visit(chicago.harbour, starts_at=dt.datetime(2026, 3, 2, 3, 30, tzinfo=UTC))
    page = chicago.browser_for(chicago.tess).get(f"/care/visits/{visit.pk}/")
    assert "Visit of 2026-03-01 21:30" in page.content.decode()
    # The outsider's clinic keeps the server's zone for its own pages.
    other = make_visit(chicago.northside, starts_at=dt.datetime(2026, 3, 2, 3, 30, tzinfo=UTC))
    page = chicago.browser_for(chicago.charlie).get(f"/care/visits/{other.pk}/")
    assert "Visit of 2026-03-02 12:30" in page.content.decode()


def test_a_chicago_clinics_today_is_chicagos_today(chicago: Cast):
    client = make_client(chicago.harbour, given_name="Morgan")
    make_visit(chicago.harbour, client=client, starts_at=MORNING_VISIT, therapist=chicago.tess)
    with time_machine.travel(NOW, tick=False):
        page = chicago.browser_for(chicago.tess).get("/").content.decode()
    assert "Morgan" in page.split("Today's visits", 1)[1].split("</section>", 1)[0]
    assert "<td>08:00</td>" in page


def test_it_reads_form_input_as_the_clinics_wall_clock_time(chicago: Cast):
    client = make_client(chicago.harbour)
    http = chicago.browser_for(chicago.tess)
    form = {"starts_at": "2026-03-01T21:30", "duration_min": "60", "status": "scheduled"}
    form.update({"modality": "swedish", "therapist": str(chicago.tess.pk)})
    response = http.post(f"/clients/{client.pk}/visits/new/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Visit.objects.get().starts_at == NOW


def test_the_api_writes_and_reads_times_in_the_clinics_zone(chicago: Cast):
    client = make_client(chicago.harbour)
    _, token = do_create_token(actor_of(chicago.tess), "test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    http = chicago.browser_for(chicago.tess)
    http.logout()
    created = http.post(
        f"/api/v1/care/clients/{client.pk}/visits",
        {"starts_at": "2026-03-01T21:30:00", "status": "scheduled"},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    visit = Visit.objects.get()
    assert visit.starts_at == NOW  # no offset given: 21:30 in Chicago
    fetched = http.get(f"/api/v1/care/visits/{visit.pk}", **auth).json()
    assert fetched["starts_at"] == "2026-03-01T21:30:00-06:00"
    explicit = http.patch(
        f"/api/v1/care/visits/{visit.pk}",
        {"starts_at": "2026-03-02T09:00:00+09:00"},  # an offset is kept as given
        content_type="application/json",
        **auth,
    )
    assert explicit.json()["starts_at"] == "2026-03-01T18:00:00-06:00"
    assert timezone.get_current_timezone_name() == "Asia/Tokyo"  # reset after the request


def test_a_private_link_shows_the_link_clinics_dates(chicago: Cast):
    with time_machine.travel(NOW, tick=False):
        link = do_create_diary_link(actor_of(chicago.tess), make_client(chicago.harbour), days=14)
        page = HttpClient().get(f"/physiology/diary/{link.token}/").content.decode()
    # "Last night" in Chicago is the night of 28 February; in Tokyo it would be 1 March.
    assert 'value="2026-02-28"' in page


def test_commands_acting_for_a_clinic_work_in_its_zone(chicago: Cast, tmp_path: Path):
    client = make_client(chicago.harbour)
    make_visit(chicago.harbour, client=client, starts_at=NOW)
    out = tmp_path / "client.json"
    call_command(
        "export", "fhir", str(client.pk), "--out", str(out), "--clinic", "harbour",
        stdout=io.StringIO(),
    )  # fmt: skip
    bundle = json.loads(out.read_text())
    resources = [entry["resource"] for entry in bundle["entry"]]
    procedure = next(r for r in resources if r["resourceType"] == "Procedure")
    assert procedure["performedPeriod"]["start"] == "2026-03-01T21:30:00-06:00"


@override_settings(TIME_ZONE="UTC")
def test_the_same_instant_reads_differently_in_two_clinics(chicago: Cast):
    chicago.northside.time_zone = "Europe/Berlin"
    chicago.northside.save(update_fields=["time_zone"])
    at_harbour = make_visit(chicago.harbour, starts_at=NOW)
    at_northside = make_visit(chicago.northside, starts_at=NOW)
    harbour_page = chicago.browser_for(chicago.tess).get(f"/care/visits/{at_harbour.pk}/")
    northside_page = chicago.browser_for(chicago.charlie).get(f"/care/visits/{at_northside.pk}/")
    assert "Visit of 2026-03-01 21:30" in harbour_page.content.decode()
    assert "Visit of 2026-03-02 04:30" in northside_page.content.decode()


def test_score_charts_date_each_score_by_the_clinics_calendar(chicago: Cast):
    client = make_client(chicago.harbour)
    with time_machine.travel(NOW, tick=False):
        answered(client, chicago.bob, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0])
    timezone.activate(chicago.harbour.zone)
    series = client_series(Administration.objects.filter(client=client), episodes=[])
    points = chart_spec(series[0])["layer"][-1]["data"]["values"]
    assert [p["date"] for p in points] == ["2026-03-01"]
    assert "2026-03-01</text>" in series_svg(series[0])  # the PDF report's chart
