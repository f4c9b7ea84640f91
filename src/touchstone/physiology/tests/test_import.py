"""Wearable import: upload, preview, map, validate every row, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, make_client
from touchstone.physiology.models import UPLOAD_LIFETIME, WearableDay, WearableUpload
from touchstone.physiology.views import IMPORT_SESSION_KEY

SLEEP_CSV = """summary_date;bedtime_start;bedtime_end;total_sleep_duration
01/06/2025;23:10;06:40;6:55
02/06/2025;23:40;07:05;7:01
03/06/2025;00:15;07:00;6:10
"""


def _upload(http: HttpClient, client_id: int, text: str, kind: str = "sleep") -> Any:
    file = SimpleUploadedFile("export.csv", text.encode(), content_type="text/csv")
    return http.post(
        f"/clients/{client_id}/physiology/import/", {"kind": kind, "file": file, "source": "Oura"}
    )


def _map(http: HttpClient, client_id: int, **fields: str) -> Any:
    data = {
        "col_date": "0",
        "col_bedtime": "1",
        "col_wake_time": "2",
        "col_tst": "3",
        "date_format": "%d/%m/%Y",
        "time_format": "%H:%M",
        "duration_unit": "hmm",
        **fields,
    }
    return http.post(f"/clients/{client_id}/physiology/import/map/", data)


def test_it_previews_maps_and_imports_a_sleep_export(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    response = _upload(http, client.pk, SLEEP_CSV)
    assert response["Location"] == f"/clients/{client.pk}/physiology/import/map/"
    preview = http.get(response["Location"])
    html = preview.content.decode()
    assert "bedtime_start" in html and "01/06/2025" in html and "3 rows in all" in html
    form = preview.context["form"]
    assert form.initial["col_date"] == "0" and form.initial["col_bedtime"] == "1"
    done = _map(http, client.pk)
    assert done["Location"] == f"/clients/{client.pk}/physiology/"
    rows = list(WearableDay.objects.order_by("day"))
    assert [r.day for r in rows] == [dt.date(2025, 6, d) for d in (1, 2, 3)]
    first = rows[0]
    assert (first.tib_min, first.tst_min) == (450, 415)  # 23:10→06:40; 6 h 55 min
    assert round(first.se_pct or 0, 1) == 92.2 and first.source == "Oura"
    assert IMPORT_SESSION_KEY not in http.session
    event = AuditEvent.objects.get(object_type="physiology.wearableday")
    assert event.detail == "wearable import, 3 rows" and "Oura" not in event.detail
    assert WearableDay.history.count() == 3


def test_it_imports_nothing_when_any_row_is_invalid_and_names_each_line(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    bad = (
        SLEEP_CSV
        + "31/02/2025;23:00;07:00;7:00\n04/06/2025;23:00;05:00;7:30\n01/06/2025;23:00;07:00;7:00\n"
    )
    _upload(http, client.pk, bad)
    response = _map(http, client.pk)
    assert response.status_code == 200
    errors = response.context["report"].errors
    assert errors == [
        (5, "date '31/02/2025' does not match the chosen date format."),
        (6, "Total sleep (450 min) is longer than the time in bed (360 min)."),
        (7, "2025-06-01 appears twice (also on line 2)."),
    ]
    assert "Nothing was imported" in response.content.decode()
    assert not WearableDay.objects.exists()
    assert IMPORT_SESSION_KEY in http.session  # the mapping can be fixed without re-uploading


def test_it_refuses_rows_already_imported_and_impossible_heart_values(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    heart = (
        "date,rhr,rmssd\n2025-06-01,58,42\n2025-06-02,300,40\n2025-06-03,55,-4\n2025-06-04,abc,30\n"
    )
    _upload(http, client.pk, heart, kind="heart")
    response = http.post(
        f"/clients/{client.pk}/physiology/import/map/",
        {"col_date": "0", "col_resting_hr": "1", "col_rmssd": "2", "date_format": "%Y-%m-%d"},
    )
    reasons = dict(response.context["report"].errors)
    assert "less than or equal to 220" in reasons[3]
    assert "greater than or equal to 1" in reasons[4]
    assert reasons[5] == "resting heart rate 'abc' is not a number."
    assert not WearableDay.objects.exists()
    _upload(http, client.pk, "date,rhr\n2025-06-01,58\n", kind="heart")
    http.post(
        f"/clients/{client.pk}/physiology/import/map/",
        {"col_date": "0", "col_resting_hr": "1", "date_format": "%Y-%m-%d"},
    )
    assert WearableDay.objects.count() == 1
    _upload(http, client.pk, "date,rhr\n2025-06-01,60\n", kind="heart")
    again = http.post(
        f"/clients/{client.pk}/physiology/import/map/",
        {"col_date": "0", "col_resting_hr": "1", "date_format": "%Y-%m-%d"},
    )
    assert again.context["report"].errors == [
        (2, "2025-06-01 is already recorded for this client.")
    ]


def test_it_refuses_unreadable_files_and_a_mapping_without_values(cast: Cast, monkeypatch: Any):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    response = _upload(http, client.pk, "just one column\n")
    assert "header naming at least two columns" in str(response.context["form"].errors)
    binary = SimpleUploadedFile("x.csv", b"\xff\xfe\x00\x01", content_type="text/csv")
    response = http.post(
        f"/clients/{client.pk}/physiology/import/", {"kind": "sleep", "file": binary}
    )
    assert "not a text CSV" in str(response.context["form"].errors)
    monkeypatch.setattr("touchstone.physiology.wearables.MAX_IMPORT_BYTES", 20)
    assert "larger than" in str(_upload(http, client.pk, SLEEP_CSV).context["form"].errors)
    monkeypatch.undo()
    _upload(http, client.pk, "date,rhr,rmssd\n2025-06-01,58,42\n", kind="heart")
    response = http.post(
        f"/clients/{client.pk}/physiology/import/map/", {"col_date": "0", "date_format": "%Y-%m-%d"}
    )
    assert "Map at least one of resting heart rate and RMSSD" in response.content.decode()


def test_it_logs_imports_and_refusals_with_codes_and_counts_only(cast: Cast, log_events):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    _upload(http, client.pk, "just one column\n")
    _upload(http, client.pk, SLEEP_CSV + "31/02/2025;23:00;07:00;7:00\n")
    _map(http, client.pk)
    _upload(http, client.pk, SLEEP_CSV)
    _map(http, client.pk)
    header, rows = log_events("upload_refused")
    assert (header["kind"], header["reason"]) == ("wearable_csv", "no_header")
    assert (rows["reason"], rows["rows"], rows["errors"]) == ("invalid_rows", 4, 1)
    [done] = log_events("import_finished")
    assert (done["kind"], done["rows"], done["clinic_id"]) == ("wearable_csv", 3, cast.harbour.pk)
    assert "31/02/2025" not in str(log_events())


def test_the_mapping_step_belongs_to_the_client_it_was_uploaded_for(cast: Cast):
    client, other = make_client(cast.harbour), make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    _upload(http, client.pk, SLEEP_CSV)
    response = http.get(f"/clients/{other.pk}/physiology/import/map/")
    assert response["Location"] == f"/clients/{other.pk}/physiology/import/"


def test_it_refuses_a_huge_cell_or_too_many_columns_with_a_clear_message(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    huge_cell = "date,rhr\n2025-06-01," + "9" * 500_000 + "\n"
    response = _upload(http, client.pk, huge_cell, kind="heart")
    assert response.status_code == 200
    assert "cannot be read as CSV" in str(response.context["form"].errors)
    wide = ",".join(["x"] * 125_000) + "\n2025-06-01,58\n"  # 250 KB: within the size limit
    response = _upload(http, client.pk, wide, kind="heart")
    assert response.status_code == 200
    assert "125000 columns; at most 200" in str(response.context["form"].errors)
    long_cell = "date,rhr\n2025-06-01," + "9" * 5000 + "\n"
    response = _upload(http, client.pk, long_cell, kind="heart")
    assert "cell of more than 1000 characters" in str(response.context["form"].errors)
    assert not WearableDay.objects.exists()


def test_the_upload_waits_server_side_for_its_uploader_not_in_the_session(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    _upload(http, client.pk, SLEEP_CSV)
    held = http.session[IMPORT_SESSION_KEY]
    assert "01/06/2025" not in json.dumps(dict(http.session))  # no CSV in the session table
    upload = WearableUpload.objects.get(pk=held["upload"])
    assert (upload.clinic, upload.client, upload.uploaded_by) == (cast.harbour, client, cast.tess)
    assert upload.expires_at - upload.created_at == UPLOAD_LIFETIME
    assert upload.text == SLEEP_CSV
    _map(http, client.pk)
    assert not WearableUpload.objects.exists()  # gone with the import


def test_an_expired_upload_or_another_staff_members_is_not_used(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    _upload(http, client.pk, SLEEP_CSV)
    upload = WearableUpload.objects.get()
    # Bob's session pointing at Tess's upload: refused as if there were none.
    bob = cast.browser_for(cast.bob)
    session = bob.session
    session[IMPORT_SESSION_KEY] = {"client_id": client.pk, "upload": upload.pk}
    session.save()
    start_again = f"/clients/{client.pk}/physiology/import/"
    assert bob.get(f"/clients/{client.pk}/physiology/import/map/")["Location"] == start_again
    assert http.get(f"/clients/{client.pk}/physiology/import/map/").status_code == 200
    WearableUpload.objects.update(expires_at=timezone.now())
    response = http.get(f"/clients/{client.pk}/physiology/import/map/")
    assert response["Location"] == start_again
    assert not WearableDay.objects.exists()
