"""The whole day of a clinic, as people do it, in a real browser (issue 4's flow).

A clinician registers a client, records the intake with a contraindication, opens an episode
with a PHQ-9/GAD-7 plan, records a massage session with a body map, and sends a private link.
The client opens it on their own phone (a fresh browser context), answers PHQ-9 with item 9 = 1
and sees crisis resources at once; the alert appears on the clinician's home page; the
clinician records the action; the progress chart shows the score. Every main page is
screenshotted and checked with axe-core for serious or critical violations.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from touchstone.conftest import Cast
from touchstone.measures.models import RiskAlert
from touchstone.tests.browser.axe import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def _page_ok(page: Any, screenshot: Any, name: str, problems: list[str]) -> None:
    screenshot(name)
    problems.extend(f"{name}: {v}" for v in serious_violations(page))


def test_a_clinician_and_a_client_go_through_a_course_of_care(
    cast: Cast, live_server: Any, page: Any, browser: Any, screenshot: Any
):
    url = live_server.url
    problems: list[str] = []
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            csp_errors.append(f"{page.url}: {m.text[:90]}")
            if "Content Security" in m.text
            else None
        ),
    )

    # Sign in.
    page.goto(f"{url}/accounts/login/")
    _page_ok(page, screenshot, "flow-01-login", problems)
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Good to see you").wait_for()
    _page_ok(page, screenshot, "flow-02-home", problems)

    # Register a client.
    page.goto(f"{url}/clients/new/")
    page.get_by_label("Given name").fill("Maya")
    page.get_by_label("Family name").fill("Okonkwo")
    page.get_by_label("Date of birth").fill("1986-03-14")
    page.get_by_label("Consents to treatment", exact=True).check()
    page.get_by_label("Consent to treatment given on").fill("2026-11-01")
    _page_ok(page, screenshot, "flow-03-client-form", problems)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Maya Okonkwo").wait_for()
    client_id = int(re.search(r"/clients/(\d+)/", page.url).group(1))
    _page_ok(page, screenshot, "flow-04-client", problems)

    # Intake, then a contraindication screen with anticoagulants (precautions).
    page.goto(f"{url}/clients/{client_id}/intake/edit/")
    page.get_by_label("Presenting concerns").fill(
        "Low mood, neck and shoulder tension, poor sleep."
    )
    page.get_by_label("Prescriber", exact=True).fill("Dr A. Rivera")
    page.get_by_role("button", name=re.compile("Save")).click()
    page.goto(f"{url}/clients/{client_id}/screen/new/")
    page.get_by_label("Anticoagulants or a bleeding disorder").check()
    page.get_by_label("What the precautions are").fill("Light pressure only; no deep tissue.")
    _page_ok(page, screenshot, "flow-05-screen", problems)
    page.get_by_role("button", name="Record the screen").click()
    page.get_by_text("Light pressure only; no deep tissue.").first.wait_for()
    _page_ok(page, screenshot, "flow-06-intake", problems)

    # An episode with a PHQ-9 / GAD-7 plan.
    page.goto(f"{url}/clients/{client_id}/episodes/new/")
    page.get_by_label("Title").fill("Depression with muscle tension")
    plan = page.locator("fieldset, .field").filter(has_text="Instruments at intake").first
    plan.get_by_label(re.compile(r"PHQ-9\)")).check()
    plan.get_by_label(re.compile(r"GAD-7\)")).check()
    _page_ok(page, screenshot, "flow-07-episode-form", problems)
    page.get_by_role("button", name=re.compile("Save|Open|Start")).click()
    page.get_by_role("heading", name="Depression with muscle tension").wait_for()
    _page_ok(page, screenshot, "flow-08-episode", problems)

    # A massage session with a body map, by keyboard.
    page.goto(f"{url}/clients/{client_id}/visits/new/")
    page.get_by_text("Light pressure only").first.wait_for()  # the banner is on the session page
    page.wait_for_function("!document.querySelector('details.bodymap-list').open")
    region = page.locator("[data-region=upper_trapezius_l]")
    region.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Space")
    page.keyboard.press("Space")
    _page_ok(page, screenshot, "flow-09-session-form", problems)
    page.get_by_role("button", name="Save the visit").click()
    page.get_by_role("heading", name=re.compile("Visit of")).wait_for()
    _page_ok(page, screenshot, "flow-10-session", problems)

    # A private link for PHQ-9.
    page.goto(f"{url}/clients/{client_id}/links/new/")
    # The form ticks what the plan makes due (PHQ-9 and GAD-7 at intake): this link carries
    # the PHQ-9 only.
    page.get_by_label(re.compile(r"GAD-7\)")).uncheck()
    page.get_by_label(re.compile(r"PHQ-9\)")).check()
    page.get_by_role("button", name="Create link").click()
    link = page.locator("#portal-link").input_value()
    _page_ok(page, screenshot, "flow-11-link", problems)

    # The client, on their own phone, answers item 9 = 1.
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    client_page = phone.new_page()
    client_page.goto(link)
    client_page.get_by_role("heading", name="Hello Maya").wait_for()
    questions = client_page.locator("fieldset.question")
    for i in range(9):
        answer = "Several days" if i == 8 else "Not at all"
        questions.nth(i).get_by_label(answer).check()
    client_page.screenshot(path=str(_artifact("flow-12-portal")), full_page=True)
    problems.extend(f"portal: {v}" for v in serious_violations(client_page))
    client_page.get_by_role("button", name="Send my answers").click()
    client_page.get_by_role("heading", name=re.compile("help is here now")).wait_for()
    assert "988" in client_page.content()
    client_page.screenshot(path=str(_artifact("flow-13-portal-crisis")), full_page=True)
    problems.extend(f"portal thanks: {v}" for v in serious_violations(client_page))
    phone.close()

    # The alert is on the clinician's home page; the clinician records the action.
    page.goto(f"{url}/")
    page.get_by_role("heading", name=re.compile("Open risk alerts")).wait_for()
    _page_ok(page, screenshot, "flow-14-home-alert", problems)
    page.get_by_role("link", name="Open and record the action").first.click()
    page.get_by_label("Action taken").fill(
        "Phoned the same day; no plan or intent; safety plan agreed."
    )
    _page_ok(page, screenshot, "flow-15-alert", problems)
    page.get_by_role("button", name="Record the action and close").click()
    page.get_by_role("heading", name="Good to see you").wait_for()
    assert "Open risk alerts" not in page.content()
    assert not RiskAlert.objects.open().exists()

    # The progress chart shows the score (PHQ-9 total 1).
    page.goto(f"{url}/clients/{client_id}/progress/")
    page.locator("[data-chart=chart-data-phq9][data-rendered=true]").wait_for()
    assert page.locator("[data-chart=chart-data-phq9] svg").count() == 1
    page.get_by_text("Table of scores").first.click()
    assert page.get_by_role("cell", name="1", exact=True).count() >= 1
    _page_ok(page, screenshot, "flow-16-progress", problems)

    assert csp_errors == [], "\n".join(csp_errors)
    assert problems == [], "\n".join(problems)


def _artifact(name: str) -> Any:
    from touchstone.tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
