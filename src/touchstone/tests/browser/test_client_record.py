"""Issue 17 §1 in a real browser: the client record's tabs as each role of the care team.
Each role opens the tabs it may (and no other tab is offered), every tab is axe-clean, the
tab bar fits a phone, the Overview's latest scores read as short blocks on a phone, and the
Overview is photographed on a laptop and on a phone
(``artifacts/screenshots/record-<role>-overview-{laptop,phone}.png``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from touchstone.accounts.roles import role_has
from touchstone.billing.tests.factories import completed
from touchstone.care.tests.factories import make_episode, make_visit
from touchstone.conftest import Cast, make_client
from touchstone.measures.tests.factories import answered
from touchstone.physiology.tests.factories import make_sample
from touchstone.record.tabs import TABS
from touchstone.scheduling.tests.factories import local, make_appointment, next_weekday
from touchstone.tests.browser.axe import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


#: Each cell of the Overview's Latest scores: its right edge, its height and its text's height.
LATEST_SCORES_CELLS = """() => [...document.querySelectorAll(
    'section[aria-labelledby=scores-title] tbody :is(th, td)')].map(cell => {
  const box = cell.getBoundingClientRect(), range = document.createRange();
  range.selectNodeContents(cell);
  return {cell: cell.innerText.slice(0, 30), right: Math.round(box.right),
          height: Math.round(box.height), text: Math.round(range.getBoundingClientRect().height)};
})"""


def _client_with_a_record(cast: Cast) -> Any:
    clinic = cast.harbour
    client = make_client(
        clinic,
        given_name="Lena",
        family_name="Marsh",
        email="lena@example.org",
        phone="+1 312 555 0143",
        emergency_contact_name="Sam Marsh",
        emergency_contact_phone="+1 312 555 0199",
    )
    started = timezone.localdate() - dt.timedelta(days=42)
    make_episode(clinic, client, started_on=started, plan_intake=["phq9", "gad7"])
    ago = timezone.now() - dt.timedelta(days=41)
    make_visit(clinic, client, starts_at=ago, status="completed", body_map={"neck_back": 2})
    answered(client, cast.tess, "phq9", [3, 2, 2, 2, 2, 2, 1, 1, 0], at=ago)
    answered(client, cast.tess, "phq9", [1, 1, 1, 0, 0, 0, 0, 0, 0])
    answered(client, cast.tess, "gad7", [2, 2, 2, 1, 1, 1, 1])
    make_sample(clinic, client)
    completed(clinic, client, days_ago=3)
    make_appointment(clinic, cast.tess, client, local(next_weekday(), 10, clinic=clinic))
    return client


def _sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.parametrize("username", ["alice", "bob", "tess", "fiona"])
def test_each_role_opens_its_tabs_of_the_client_record(
    cast: Cast, live_server: Any, page: Any, screenshot: Any, username: str
):
    member = {m.user.username: m for m in cast.by_role().values()}[username]
    client = _client_with_a_record(cast)
    url = live_server.url
    page.set_viewport_size(LAPTOP)
    _sign_in(page, url, username)
    page.goto(f"{url}/clients/{client.pk}/")
    tabs = page.get_by_role("navigation", name="Client record").get_by_role("link")
    allowed = [tab for tab in TABS if role_has(member.role, tab.permission)]
    assert tabs.all_inner_texts() == [tab.label for tab in allowed]
    screenshot(f"record-{member.role}-overview-laptop")

    problems: list[str] = []
    for tab in allowed:
        link = page.get_by_role("navigation", name="Client record").get_by_role(
            "link", name=tab.label, exact=True
        )
        with page.expect_navigation():
            link.click()
        assert page.url == f"{url}{reverse(tab.url_name, args=[client.pk])}"
        assert page.locator('.record-tabs a[aria-current="page"]').inner_text() == tab.label
        assert page.get_by_role("heading", level=1).inner_text().startswith("Lena Marsh")
        if page.locator("[data-chart]").count():
            page.locator("[data-chart][data-rendered=true]").first.wait_for()
        problems.extend(f"{tab.key}: {v}" for v in serious_violations(page))
    assert problems == [], "\n".join(problems)

    # On a phone the tab bar wraps: the Overview never scrolls sideways.
    page.set_viewport_size(PHONE)
    page.goto(f"{url}/clients/{client.pk}/")
    screenshot(f"record-{member.role}-overview-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )
    assert width <= PHONE["width"], f"overview is {width} px wide at 390 px: {wide}"
    if member.can("measures.view"):
        # The Latest scores read as one short block per questionnaire: every cell on screen
        # (none scrolled out of sight sideways) and none taller than its own text, where a
        # squeezed "Change" column of sentences once made each row ~390 px tall, mostly empty.
        cells = page.evaluate(LATEST_SCORES_CELLS)
        assert len(cells) == 8, cells  # PHQ-9 and GAD-7: name, baseline, latest, change
        off_screen = [c for c in cells if c["right"] > PHONE["width"]]
        padded = [c for c in cells if c["height"] > c["text"] + 12]
        assert off_screen == [] and padded == [], (off_screen, padded)
