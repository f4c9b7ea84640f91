"""The booking form's client picker: a bounded list whatever the clinic's size, a server-side
search in a fixed number of queries, and booking still accepts any active client."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from touchstone.clients.models import Client
from touchstone.conftest import Cast, make_client
from touchstone.scheduling.forms import CLIENT_OPTIONS
from touchstone.scheduling.tests.factories import (
    local,
    make_service,
    make_weekday_hours,
    next_weekday,
)


def _many(cast: Cast, n: int, start: int = 0) -> None:
    Client.objects.bulk_create(
        [
            Client(
                clinic=cast.harbour,
                given_name=f"Given{i:05d}",
                family_name=f"Family{i:05d}",
                date_of_birth="1980-01-01",
            )
            for i in range(start, start + n)
        ]
    )


def _queries(http: object, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = http.get(url)  # type: ignore[attr-defined]
        assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_search_is_bounded_and_its_query_count_constant(cast: Cast):
    http = cast.browser_for(cast.fiona)
    _many(cast, 30)
    http.get("/calendar/clients/?q=Family")
    few, _ = _queries(http, "/calendar/clients/?q=Family")
    _many(cast, 300, start=30)
    many, html = _queries(http, "/calendar/clients/?q=Family")
    assert many == few
    assert html.count('<option value="') == CLIENT_OPTIONS + 1  # the prompt and 50
    _, one = _queries(http, "/calendar/clients/?q=Family00123")
    assert "Family00123, Given00123 (1980-01-01)" in one and one.count('<option value="') == 2


def test_the_booking_form_lists_a_bounded_few_and_keeps_the_chosen_client(cast: Cast):
    http = cast.browser_for(cast.fiona)
    _many(cast, 120)
    chosen = Client.objects.get(family_name="Family00110")
    _, page = _queries(http, f"/calendar/new/?client={chosen.pk}")
    assert page.count('<option value="') < CLIENT_OPTIONS + 30  # not 120 clients
    assert f'<option value="{chosen.pk}" selected>' in page
    _, narrowed = _queries(http, "/calendar/new/?client_q=Family00077")
    assert "Family00077, Given00077" in narrowed and "Family00001" not in narrowed
    assert 'src="/static/touchstone/client-picker.js"' in narrowed


def test_a_client_not_in_the_list_is_still_booked(cast: Cast):
    """The list is only what is shown: validation takes any active client of the clinic."""
    _many(cast, 80)
    make_weekday_hours(cast.harbour, cast.tess)
    late = make_client(cast.harbour, given_name="Zed", family_name="Zzz")
    day = next_weekday(1)
    response = cast.browser_for(cast.fiona).post(
        "/calendar/new/",
        {
            "client": late.pk,
            "service": make_service(cast.harbour).pk,
            "staff": cast.tess.pk,
            "day": day.isoformat(),
            "time": "10:00",
        },
    )
    assert response.status_code == 302
    assert late.appointments.get().starts_at == local(day, 10, clinic=cast.harbour)


def test_another_clinics_client_is_never_offered(cast: Cast):
    make_client(cast.northside, given_name="Outsider", family_name="Elsewhere")
    _, html = _queries(cast.browser_for(cast.fiona), "/calendar/clients/?q=Elsewhere")
    assert "Elsewhere" not in html
