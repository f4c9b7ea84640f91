"""A massage therapist records a visit with the body map by keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from touchstone.care.models import ContraindicationScreen, Visit
from touchstone.care.tests.factories import make_episode
from touchstone.conftest import Cast, make_client

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Good to see you").wait_for()


def test_a_therapist_sets_a_body_map_region_by_keyboard(
    cast: Cast, live_server: Any, page: Any, screenshot: Any
):
    client = make_client(cast.harbour, given_name="Rosa", family_name="Delgado")
    episode = make_episode(cast.harbour, client=client, plan_intake=["phq9", "gad7"])
    ContraindicationScreen.objects.create(
        clinic=cast.harbour,
        client=client,
        screened_by=cast.tess,
        items=["varicose_veins"],
        precautions="No pressure over the veins of the lower legs.",
    )
    _sign_in(page, live_server, "tess")
    page.goto(f"{live_server.url}/clients/{client.pk}/intake/")
    page.get_by_text("No pressure over the veins").first.wait_for()
    screenshot("care-intake")
    page.goto(f"{live_server.url}/care/episodes/{episode.pk}/")
    screenshot("care-episode")
    page.goto(f"{live_server.url}/clients/{client.pk}/visits/new/")
    # The list of selects is folded away once the script has enhanced the map.
    page.wait_for_function("!document.querySelector('details.bodymap-list').open")
    page.get_by_label("Pressure").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.dataset.region")
    assert focused == "jaw"
    page.keyboard.press("Space")
    page.keyboard.press("Space")
    region = page.locator("[data-region=jaw]")
    assert region.get_attribute("aria-label") == "Jaw: level 2 of 3 (moderate)"
    screenshot("care-visit-form")
    page.get_by_role("button", name="Save the visit").click()
    page.get_by_role("heading", name="Visit of").wait_for()
    screenshot("care-visit-detail")
    assert Visit.objects.get(client=client).body_map == {"jaw": 2}


def test_on_a_phone_the_body_map_list_stays_open_and_drives_the_map(
    cast: Cast, live_server: Any, page: Any
):
    # Issue 17 phone walk: the map's regions are 11-24 px on a 390 px phone; the list of
    # selects stays open there as the easier way in, and still redraws the map.
    client = make_client(cast.harbour, given_name="Rosa", family_name="Delgado")
    make_episode(cast.harbour, client=client, plan_intake=["phq9"])
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, live_server, "tess")
    page.goto(f"{live_server.url}/clients/{client.pk}/visits/new/")
    page.locator("[data-region=jaw][role=button]").wait_for()  # the map is enhanced
    assert page.evaluate("document.querySelector('details.bodymap-list').open")
    assert page.get_by_text("On a phone the list below the map is easier to use.").is_visible()
    page.locator("#id_region_jaw").select_option("2")
    region = page.locator("[data-region=jaw]")
    assert region.get_attribute("aria-label") == "Jaw: level 2 of 3 (moderate)"
