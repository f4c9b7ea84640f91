"""axe-core over the main pages the end-to-end flow does not pass through, for the two
roles that see most of them, and over a Spanish client's pages. No serious or critical
violation is allowed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from touchstone.care.tests.factories import make_episode, make_visit
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.tests.factories import answered
from touchstone.portal.actions import do_create_portal_link
from touchstone.tests.browser.axe import serious_violations
from touchstone.tests.browser.signing import sign_in
from touchstone.tests.languages import prefer

pytestmark = pytest.mark.django_db(transaction=True)


def _client_with_history(cast: Cast) -> Any:
    client = make_client(cast.harbour, given_name="Lena", family_name="Marsh")
    make_episode(cast.harbour, client, plan_intake=["phq9", "gad7"])
    make_visit(cast.harbour, client, starts_at=timezone.now(), body_map={"neck_back": 2})
    answered(client, cast.tess, "phq9", [3, 2, 2, 2, 2, 2, 1, 1, 0])
    answered(client, cast.tess, "phq9", [1, 1, 1, 0, 0, 0, 0, 0, 0])
    answered(client, cast.tess, "gad7", [2, 2, 2, 1, 1, 1, 1])
    return client


@pytest.mark.parametrize("username", ["bob", "alice"])
def test_the_main_pages_have_no_serious_accessibility_violations(
    cast: Cast, live_server: Any, page: Any, screenshot: Any, username: str
):
    client = _client_with_history(cast)
    sign_in(page, live_server.url, username)
    pages = {
        "clients": "/clients/",
        "client": f"/clients/{client.pk}/",
        "alerts": "/measures/alerts/",
        "progress": f"/clients/{client.pk}/progress/",
        "outcomes": "/outcomes/",
        "evidence": "/evidence/",
        "body-measures": f"/clients/{client.pk}/physiology/",
        "progress-report": f"/clients/{client.pk}/reports/progress/",
        "account": "/accounts/profile/",
    }
    if username == "alice":
        pages.update(
            {
                "audit": "/accounts/audit/",
                "staff": "/accounts/staff/",
                "clinic": "/accounts/clinic/",
            }
        )
    problems = []
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, f"{path}: {response.status}"
        if page.locator("[data-chart]").count():
            page.locator("[data-chart][data-rendered=true]").first.wait_for()
        screenshot(f"a11y-{username}-{name}")
        problems.extend(f"{path}: {v}" for v in serious_violations(page))
    assert problems == [], "\n".join(problems)


def test_a_spanish_clients_pages_are_in_spanish_and_have_no_serious_violations(
    cast: Cast, live_server: Any, page: Any, screenshot: Any, monkeypatch: pytest.MonkeyPatch
):
    """Every page a Spanish client's links open: lang="es" on the page, and axe-core clean
    (docs/languages.md)."""
    client = prefer(monkeypatch, _client_with_history(cast), "es")
    expires = timezone.now() + dt.timedelta(days=7)
    tess = actor_of(cast.tess)

    def link(purpose: str, *instruments: str) -> str:
        made = do_create_portal_link(tess, client, purpose, list(instruments), expires)
        return f"{live_server.url}/p/{made.token}/"

    questionnaire = link("questionnaires", "phq9")
    pages = {
        "fill": questionnaire,
        "progress": link("progress"),
        "diary": link("sleep_diary"),
        "booking": link("booking"),
        # No client known: the browser's language, or the switch (here).
        "gone": f"{live_server.url}/p/no-such-link/?lang=es",
    }
    problems = []
    for name, url in pages.items():
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == "es", name
        if page.locator("[data-chart]").count():
            page.locator("[data-chart][data-rendered=true]").first.wait_for()
        screenshot(f"a11y-es-{name}")
        problems.extend(f"{name}: {v}" for v in serious_violations(page))
    # Item 9 answered: the thanks page with the crisis resources, in Spanish.
    page.goto(questionnaire)
    for fieldset in page.locator("fieldset.question").all():
        fieldset.locator("input[type=radio]").nth(1).check()
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.get_by_role(
        "heading", name="Si está pensando en hacerse daño, hay ayuda ahora mismo"
    ).wait_for()
    assert page.get_by_text("oprima 2").count() == 1
    screenshot("a11y-es-thanks-risk")
    problems.extend(f"thanks: {v}" for v in serious_violations(page))
    assert problems == [], "\n".join(problems)
