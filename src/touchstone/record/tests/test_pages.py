"""The client record's pages: the client page and the progress page compose every app's
panel for the roles that may read it."""

from __future__ import annotations

from django.test import Client as HttpClient

from touchstone.care.tests.factories import make_visit
from touchstone.conftest import Cast, make_client
from touchstone.measures.tests.factories import answered


def test_it_shows_the_detail_page(cast: Cast, as_alice: HttpClient):
    client = make_client(
        cast.harbour, emergency_contact_name="Kim", emergency_contact_phone="555 1234"
    )
    page = as_alice.get(f"/clients/{client.pk}/").content.decode()
    assert "Dana Example" in page and "Kim" in page


def test_the_progress_page_charts_every_instrument_with_a_table_alternative(cast: Cast):
    client = make_client(cast.harbour)
    answered(client, cast.tess, "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 0])
    answered(client, cast.tess, "phq9", [1, 1, 0, 1, 0, 0, 0, 0, 0])
    page = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/progress/")
    html = page.content.decode()
    assert 'id="chart-data-phq9"' in html and "<table>" in html
    assert "improved by more than day-to-day ups and downs" in html
    assert "reliably better" in html


def test_the_progress_page_shows_the_massage_record_to_those_who_treat_only(cast: Cast):
    client = make_client(cast.harbour)
    answered(client, cast.tess, "phq9", [1, 1, 0, 1, 0, 0, 0, 0, 0])
    make_visit(cast.harbour, client=client, status="completed", body_map={"neck_front": 2})
    tess = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/progress/")
    assert tess.status_code == 200
    assert tess.context["massage"] is not None and "Body-map tension" in tess.content.decode()
    owner = cast.browser_for(cast.alice).get(f"/clients/{client.pk}/progress/")
    assert owner.context["massage"] is not None
    # Front desk may not read scores at all: the page itself is refused.
    assert cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/progress/").status_code == 403


def test_the_client_page_lists_open_links_only_for_staff_who_send_them(cast: Cast):
    client = make_client(cast.harbour)
    fiona = cast.browser_for(cast.fiona)
    fiona.post(f"/clients/{client.pk}/links/progress/")
    assert len(fiona.get(f"/clients/{client.pk}/").context["open_links"]) == 1
    assert cast.browser_for(cast.alice).get(f"/clients/{client.pk}/").context["open_links"]
