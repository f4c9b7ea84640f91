"""Physiology pages: conversions through the form, every rejection path, the diary link,
isolation, audit and fixed query counts."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.audit.models import AuditEvent
from touchstone.care.tests.factories import make_visit
from touchstone.conftest import Cast, make_client
from touchstone.measures.tests.factories import answered
from touchstone.physiology.models import Recording, Sample, SleepNight
from touchstone.physiology.tests.factories import make_recording, make_sample, make_sleep_night
from touchstone.portal.models import PortalLink

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
WHEN = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def _sample_post(http: HttpClient, client_id: int, **fields: Any) -> Any:
    data = {
        "analyte": "cortisol",
        "value": "1",
        "unit": "ug/dL",
        "specimen": "saliva",
        "collected_at": WHEN,
        "minutes_since_waking": "0",
        **fields,
    }
    return http.post(f"/clients/{client_id}/physiology/samples/new/", data)


def test_it_converts_cortisol_units_exactly_through_the_form(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    response = _sample_post(http, client.pk, value="1", unit="ug/dL")
    assert response.status_code == 302
    sample = Sample.objects.get()
    # 10 µg/L ÷ 362.46 g/mol (C21H30O5, IUPAC 2005 weights; PubChem CID 5754) = 27.589 nmol/L
    assert sample.canonical_value == pytest.approx(
        1e4 / (21 * 12.0107 + 30 * 1.00794 + 5 * 15.9994)
    )
    assert round(sample.canonical_value, 3) == 27.589
    assert (sample.value, sample.unit, sample.canonical_unit) == (1.0, "ug/dL", "nmol/L")
    _sample_post(http, client.pk, value="10", unit="ng/mL", collected_at=WHEN)
    ng = Sample.objects.get(unit="ng/mL")
    assert round(ng.canonical_value, 3) == 27.589  # 1 ng/mL = 2.7589 nmol/L
    assert AuditEvent.objects.filter(action="create", object_type="physiology.sample").count() == 2


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"value": "-3"}, "value", "impossible: it must be greater than zero"),
        ({"value": "0"}, "value", "impossible: it must be greater than zero"),
        ({"unit": "U/L"}, "unit", "Cortisol is not recorded in U/L"),
        (
            {"specimen": "urine", "analyte": "alpha_amylase", "unit": "U/mL"},
            "specimen",
            "not measured in urine",
        ),
        ({"minutes_since_waking": "2000"}, "minutes_since_waking", "less than or equal to 1440"),
        ({"timing": "before"}, "visit", "Choose the visit"),
        (
            {"reference_low": "30", "reference_high": "5", "reference_unit": "nmol/L"},
            "reference_high",
            "upper reference limit must be above",
        ),
        ({"reference_low": "3"}, "reference_unit", "Give the unit of the reference range"),
    ],
)
def test_it_refuses_impossible_samples_next_to_the_field(cast: Cast, fields, field, message):
    client = make_client(cast.harbour)
    response = _sample_post(cast.browser_for(cast.tess), client.pk, **fields)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors.get(field))
    assert not Sample.objects.exists()


def test_it_refuses_a_visit_of_another_client(cast: Cast):
    client = make_client(cast.harbour)
    other_visit = make_visit(cast.harbour)
    response = _sample_post(
        cast.browser_for(cast.tess), client.pk, visit=str(other_visit.pk), timing="before"
    )
    assert "valid choice" in str(response.context["form"].errors["visit"])


def _rr_file(text: str, name: str = "rr.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def _upload(http: HttpClient, client_id: int, text: str, **fields: Any) -> Any:
    return http.post(
        f"/clients/{client_id}/physiology/recordings/new/",
        {"file": _rr_file(text), "recorded_at": WHEN, **fields},
    )


RR_PLAIN = "rr_ms\n" + "\n".join(str(800 + (i % 2) * 40) for i in range(100))


def test_it_analyses_an_uploaded_rr_file_and_keeps_the_beats(cast: Cast):
    client = make_client(cast.harbour)
    visit = make_visit(cast.harbour, client=client)
    response = _upload(
        cast.browser_for(cast.bob), client.pk, RR_PLAIN, visit=str(visit.pk), timing="before"
    )
    recording = Recording.objects.get()
    assert response["Location"] == f"/physiology/recordings/{recording.pk}/"
    # Alternating 800/840 ms: every successive difference is 40 ms, so RMSSD = 40 and pNN50 = 0.
    assert recording.rmssd == pytest.approx(40.0)
    assert recording.mean_rr == pytest.approx(820.0) and recording.pnn50 == 0
    assert recording.n_beats == 100 and len(recording.rr_ms) == 100
    assert recording.source_format == "plain" and recording.n_corrected == 0
    page = cast.browser_for(cast.bob).get(response["Location"]).content.decode()
    assert "40.0 ms" in page


def test_it_reads_a_polar_sensor_logger_export(cast: Cast):
    client = make_client(cast.harbour)
    start = dt.datetime(2025, 6, 1, 21, 17, 7)
    lines = ["Phone timestamp;RR-interval [ms]"] + [
        f"{(start + dt.timedelta(seconds=i)).isoformat()}.000;{900 + (i % 3) * 10}"
        for i in range(80)
    ]
    _upload(cast.browser_for(cast.tess), client.pk, "\n".join(lines), device="Polar H10")
    assert Recording.objects.get().source_format == "polar_sensor_logger"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,rr\n1,800\n2,810", "unrecognised header"),
        ("800\n810\nabc\n", "line 3: expected one RR interval in ms"),
        ("800\n-810\n", "RR interval -810 ms is impossible"),
        ("0.8\n0.81\n0.79\n", "look like seconds"),
        ("", "The submitted file is empty"),
        ("800\n" * 5, "too few"),
        ("\n".join(["800"] * 50 + ["3500"] * 20), "too noisy to analyse"),  # RR out of range
    ],
)
def test_it_refuses_bad_rr_files_with_the_science_cores_message(cast: Cast, text, message):
    client = make_client(cast.harbour)
    response = _upload(cast.browser_for(cast.tess), client.pk, text)
    assert response.status_code == 200
    assert message.lower() in str(response.context["form"].errors).lower()
    assert not Recording.objects.exists()


def test_it_logs_a_refused_upload_with_a_reason_code_and_no_content(cast: Cast, log_events):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    _upload(http, client.pk, "800\n810\nKittredge\n")
    _upload(http, client.pk, "\n".join(["800"] * 50 + ["3500"] * 20))
    first, second = log_events("upload_refused")
    assert first["kind"] == "hrv_recording" and first["reason"] == "unreadable"
    assert first["line"] == 3 and first["size_bytes"] == 18
    assert second["reason"] == "too_noisy" and second["n_beats"] == 70
    assert first["clinic_id"] == cast.harbour.pk and first["actor_id"] == cast.tess.user.pk
    assert "Kittredge" not in json.dumps(log_events())


def test_it_refuses_binary_and_oversized_files(cast: Cast, monkeypatch: Any):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    binary = SimpleUploadedFile(
        "rr.fit", b"\x89PNG\xff\xfe\x00", content_type="application/octet-stream"
    )
    response = http.post(
        f"/clients/{client.pk}/physiology/recordings/new/", {"file": binary, "recorded_at": WHEN}
    )
    assert "not a text file" in str(response.context["form"].errors["file"])
    monkeypatch.setattr("touchstone.physiology.actions.MAX_RR_BYTES", 10)
    response = _upload(http, client.pk, RR_PLAIN)
    assert "larger than" in str(response.context["form"].errors["file"])


def _night(**fields: Any) -> dict[str, Any]:
    return {
        "night_of": YESTERDAY.isoformat(),
        "in_bed": "23:00",
        "tried_sleep": "23:15",
        "sol_min": "20",
        "awakenings": "2",
        "waso_min": "30",
        "final_wake": "06:30",
        "out_of_bed": "07:00",
        "quality": "4",
        **fields,
    }


def test_it_derives_the_sleep_metrics_of_a_staff_entered_night(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    response = http.post(f"/clients/{client.pk}/physiology/sleep/new/", _night())
    assert response.status_code == 302
    night = SleepNight.objects.get()
    # Carney 2012 items: TIB 23:00→07:00 = 480; TST = (06:30 − 23:15) − 20 − 30 = 385; SE 80.2 %
    assert (night.tib_min, night.tst_min, round(night.se_pct, 1)) == (480, 385, 80.2)
    assert night.twt_min == 30 and night.entered == "staff"
    page = http.get(f"/clients/{client.pk}/physiology/sleep/").content.decode()
    assert "80.2 %" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tried_sleep": "22:30"}, "times out of order"),
        ({"sol_min": "300", "waso_min": "200"}, "are longer than the time from trying to sleep"),
        ({"awakenings": "0", "waso_min": "15"}, "no awakenings"),
        (
            {
                "out_of_bed": "23:00",
                "final_wake": "23:00",
                "tried_sleep": "23:00",
                "sol_min": "0",
                "waso_min": "0",
                "awakenings": "0",
            },
            "no time in bed",
        ),
        (
            {"night_of": (timezone.localdate() + dt.timedelta(days=2)).isoformat()},
            "has not happened yet",
        ),
        ({"sol_min": "-5"}, "greater than or equal to 0"),
    ],
)
def test_it_refuses_impossible_diary_nights_with_a_specific_message(cast: Cast, fields, message):
    client = make_client(cast.harbour)
    response = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/physiology/sleep/new/", _night(**fields)
    )
    assert response.status_code == 200
    assert message.lower() in str(response.context["form"].errors).lower()
    assert not SleepNight.objects.exists()


def test_it_refuses_a_second_entry_for_the_same_night(cast: Cast):
    client = make_client(cast.harbour)
    make_sleep_night(cast.harbour, client, night_of=YESTERDAY)
    response = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/physiology/sleep/new/", _night()
    )
    assert "already a diary entry" in str(response.context["form"].errors)


def test_the_client_keeps_the_diary_through_a_private_link(cast: Cast):
    client = make_client(cast.harbour)
    staff = cast.browser_for(cast.tess)
    staff.post(f"/clients/{client.pk}/physiology/sleep/link/", {"valid_days": "14"})
    link = PortalLink.objects.get()
    assert link.purpose == "sleep_diary"
    anonymous = HttpClient()
    token = link.token  # signed with a timestamp: two calls a second apart differ
    opened = anonymous.get(f"/p/{token}/")
    assert opened["Location"] == f"/physiology/diary/{token}/"
    page = anonymous.get(opened["Location"]).content.decode()
    assert "Sleep diary" in page and "Dana" not in page
    bad = anonymous.post(opened["Location"], _night(tried_sleep="22:00"))
    assert "Times out of order" in bad.content.decode()
    good = anonymous.post(opened["Location"], _night())
    assert "is saved" in good.content.decode()
    second = anonymous.post(
        opened["Location"], _night(night_of=(YESTERDAY - dt.timedelta(days=1)).isoformat())
    )
    assert second.status_code == 200
    assert SleepNight.objects.filter(client=client, entered="portal").count() == 2
    assert (
        AuditEvent.objects.filter(channel="portal", object_type="physiology.sleepnight").count()
        == 2
    )
    assert anonymous.get(f"/physiology/diary/{link.token}x/").status_code == 404


def test_the_overview_charts_body_and_mind_on_one_axis_with_a_table(cast: Cast):
    client = make_client(cast.harbour)
    answered(client, cast.tess, "phq9", [2] * 9)
    make_sample(cast.harbour, client)
    make_recording(cast.harbour, client)
    make_sleep_night(cast.harbour, client)
    http = cast.browser_for(cast.tess)
    html = http.get(f"/clients/{client.pk}/physiology/").content.decode()
    assert 'data-chart="physiology-timeline"' in html and 'id="physiology-timeline"' in html
    for label in ("Cortisol on waking (nmol/L)", "RMSSD (ms)", "Sleep efficiency (%)", "PHQ-9"):
        assert label in html
    progress = http.get(f"/clients/{client.pk}/progress/").content.decode()
    assert "Body and mind on one time line" in progress
    front_desk = cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/progress/")
    assert "Body and mind on one time line" not in front_desk.content.decode()
    assert AuditEvent.objects.filter(action="read", detail="physiology").count() == 1


def test_other_clinics_cannot_reach_a_clients_body_measures(cast: Cast):
    client = make_client(cast.harbour)
    recording = make_recording(cast.harbour, client)
    charlie = cast.browser_for(cast.charlie)
    assert charlie.get(f"/clients/{client.pk}/physiology/").status_code == 404
    assert charlie.get(f"/physiology/recordings/{recording.pk}/").status_code == 404
    assert _sample_post(charlie, client.pk).status_code == 404
    assert cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/physiology/").status_code == 403


def _queries(http: HttpClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url).status_code == 200
    return len(queries)


def _add_rows(cast: Cast, client: Any, n: int, offset: int) -> None:
    for i in range(n):
        day = timezone.localdate() - dt.timedelta(days=offset + i + 2)
        visit = make_visit(cast.harbour, client=client)
        make_sample(
            cast.harbour, client, collected_at=timezone.now() - dt.timedelta(days=offset + i + 2)
        )
        make_recording(cast.harbour, client, visit=visit, timing="before")
        make_recording(cast.harbour, client, visit=visit, timing="after", rmssd=35.0)
        make_sleep_night(cast.harbour, client, night_of=day)
        answered(client, cast.tess, "gad7", [1] * 7)


@pytest.mark.parametrize(
    "path",
    [
        "/clients/{id}/physiology/",
        "/clients/{id}/physiology/sleep/",
        "/clients/{id}/progress/",
        "/clients/{id}/physiology/association/",
        "/physiology/association/",
    ],
)
def test_pages_do_a_fixed_number_of_queries(cast: Cast, path: str):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.bob)
    _add_rows(cast, client, 2, 0)
    url = path.format(id=client.pk)
    few = _queries(http, url)
    _add_rows(cast, client, 6, 10)
    assert _queries(http, url) == few
