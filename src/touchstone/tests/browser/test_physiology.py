"""A therapist uploads an HRV recording and sees it charted beside the questionnaires; a
wearable export is imported through the column mapping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from touchstone.conftest import Cast, make_client
from touchstone.measures.tests.factories import answered
from touchstone.physiology.models import Recording, WearableDay
from touchstone.physiology.tests.factories import make_sample, make_sleep_night

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Good to see you").wait_for()


def test_a_therapist_uploads_hrv_and_sees_the_progress_chart(
    cast: Cast, live_server: Any, page: Any, screenshot: Any, tmp_path: Path
):
    client = make_client(cast.harbour, given_name="Rosa", family_name="Delgado")
    answered(client, cast.tess, "phq9", [2] * 8 + [0])
    make_sample(cast.harbour, client, collected_at=timezone.now() - dt.timedelta(days=3))
    make_sleep_night(cast.harbour, client)
    rr = tmp_path / "rr.txt"
    rr.write_text("rr_ms\n" + "\n".join(str(800 + (i % 2) * 40) for i in range(300)))
    _sign_in(page, live_server, "tess")
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    page.get_by_role("navigation", name="Client record").get_by_role("link", name="Body").click()
    page.get_by_role("link", name="Upload an HRV recording").click()
    page.get_by_label("RR-interval file").set_input_files(str(rr))
    when = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Recorded at").fill(when)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="HRV recording of").wait_for()
    assert page.locator("#rmssd").inner_text() == "40.0 ms"
    assert Recording.objects.get().n_beats == 300
    page.goto(f"{live_server.url}/clients/{client.pk}/progress/")
    page.locator("[data-chart=physiology-timeline][data-rendered=true]").wait_for()
    assert page.locator("[data-chart=physiology-timeline] svg").count() == 1
    page.goto(f"{live_server.url}/clients/{client.pk}/physiology/")
    page.locator("[data-chart=physiology-timeline][data-rendered=true]").wait_for()
    screenshot("physiology-overview")


def test_a_wearable_export_is_mapped_and_imported(
    cast: Cast, live_server: Any, page: Any, screenshot: Any, tmp_path: Path
):
    client = make_client(cast.harbour)
    export = tmp_path / "oura.csv"
    export.write_text(
        "summary_date,bedtime_start,bedtime_end,total_sleep_duration\n"
        "2025-06-01,23:10,06:40,415\n2025-06-02,23:40,07:05,421\n"
    )
    _sign_in(page, live_server, "tess")
    page.goto(f"{live_server.url}/clients/{client.pk}/physiology/import/")
    page.get_by_label("CSV export").set_input_files(str(export))
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Import: map the columns").wait_for()
    screenshot("physiology-import")
    page.get_by_role("button", name="Check and import").click()
    page.get_by_text("Imported 2 rows.").wait_for()
    assert WearableDay.objects.count() == 2
