"""Requests that answered 500 in a schemathesis run (issue 11 §3) answer a 4xx in the API's one
error shape: list cursors, page sizes and ids beyond a 64-bit integer, time-zone-aware diary
times, oversize bodies."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client as HttpClient

from touchstone.accounts.actions import do_create_token
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.physiology.models import SleepNight

pytestmark = pytest.mark.django_db
HUGE = 10**20


def _cursor(query: str) -> str:
    """A list cursor (lib/pagination: base64 of ``p=<position>``), URL-quoted."""
    return quote(base64.b64encode(query.encode()).decode())


@pytest.fixture
def api(cast: Cast) -> Any:
    _, token = do_create_token(actor_of(cast.bob), "errors")
    http = HttpClient(raise_request_exception=False)

    def call(method: str, url: str, body: Any = None) -> Any:
        return getattr(http, method)(
            url, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    return call


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/clients/?cursor={_cursor(f'p={HUGE}')}",
        f"/api/v1/administrations?cursor={_cursor(f'p={HUGE}')}",
        f"/api/v1/appointments?cursor={_cursor('p=' + '9' * 30)}",
        f"/api/v1/clients/?page_size={HUGE}",
        f"/api/v1/administrations?client_id={HUGE}",
        f"/api/v1/physiology/samples?client_id={HUGE}",
        f"/api/v1/care/clients/1/visits?page_size={HUGE}",
        f"/api/v1/clients/{HUGE}",
        f"/api/v1/care/visits/{HUGE}",
        f"/api/v1/reports/clients/1/progress.pdf?episode={HUGE}",
    ],
)
def test_a_number_beyond_64_bits_is_a_422(api: Any, url: str):
    response = api("get", url)
    assert response.status_code == 422, response.content[:300]
    assert response.json()["error"]["code"] == "validation_error"


def test_a_page_past_the_last_is_empty(api: Any, cast: Cast):
    client = make_client(cast.harbour)
    past = _cursor(f"p={client.pk + 1000}")
    assert api("get", f"/api/v1/clients/?cursor={past}").json()["results"] == []


def test_diary_times_with_an_offset_are_read_as_wall_clock_times(api: Any, cast: Cast):
    client = make_client(cast.harbour)
    night = {
        "night_of": "2025-01-06",
        "in_bed": "23:00:00+02:00",
        "tried_sleep": "23:10:00Z",
        "sol_min": 15,
        "awakenings": 1,
        "waso_min": 10,
        "final_wake": "06:30:00-05:00",
        "out_of_bed": "06:45",
    }
    response = api("post", f"/api/v1/physiology/clients/{client.pk}/sleep-nights", night)
    assert response.status_code == 201, response.content[:300]
    stored = SleepNight.objects.get(client=client)
    assert (stored.in_bed.isoformat(), stored.final_wake.isoformat()) == ("23:00:00", "06:30:00")
    assert response.json()["in_bed"] == "23:00:00"


def test_an_oversize_body_is_a_413_in_the_error_shape(api: Any, settings: Any):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = {"given_name": "x" * 4000, "family_name": "y", "date_of_birth": "1990-01-01"}
    response = api("post", "/api/v1/clients/", body)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["error"]["code"] == "payload_too_large"
