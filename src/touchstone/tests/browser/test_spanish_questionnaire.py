"""A Spanish-speaking client answers PHQ-9 in Spanish by private link (issue 15, "Done when").

The clinician sends the link from the client's page (the form proposes the client's preferred
language); the client opens it on their phone and reads Pfizer's official Spanish instructions,
items and answer labels ([PHQ9-es], docs/instruments.md "Translations"); answering item 9
"Varios días" raises the risk alert at once and the crisis resources are shown. The Spanish
wording of the page around the questionnaire (buttons, crisis text) is the client pages'
catalogue's: this test finds those parts by role and structure, not by their words.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from touchstone.conftest import Cast, make_client
from touchstone.measures.models import RiskAlert
from touchstone.portal.models import PortalLink
from touchstone.tests.browser.axe import serious_violations
from touchstone.tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

NINGUN_DIA, VARIOS_DIAS = "Ningún día", "Varios días"


def test_a_spanish_speaking_client_answers_phq9_in_spanish_and_item_9_raises_the_alert(
    cast: Cast, live_server: Any, page: Any, browser: Any
):
    client = make_client(cast.harbour, given_name="Lucía", preferred_language="es")

    # The clinician sends PHQ-9; the link form proposes the client's language.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Good to see you").wait_for()
    page.goto(f"{live_server.url}/clients/{client.pk}/links/new/")
    assert page.get_by_label("Language of the questionnaires").input_value() == "es"
    page.get_by_label(re.compile(r"PHQ-9\)")).check()
    page.get_by_role("button", name="Create link").click()
    url = page.locator("#portal-link").input_value()
    administration = PortalLink.objects.get(client=client).administrations.get()
    assert administration.language == "es"

    # The client, on their phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    client_page = phone.new_page()
    client_page.goto(url)
    form = client_page.locator("form.questionnaire")
    form.get_by_role(
        "heading", name="Cuestionario sobre la salud del paciente-9 (PHQ-9)"
    ).wait_for()
    assert form.get_by_text(
        "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
        "siguientes problemas?"
    ).is_visible()
    questions = form.locator("fieldset.question")
    assert (
        questions.nth(0)
        .locator("legend")
        .inner_text()
        .endswith("Poco interés o placer en hacer cosas")
    )
    assert (
        questions.nth(8)
        .locator("legend")
        .inner_text()
        .endswith("Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera")
    )
    assert client_page.locator("div.items[lang=es]").count() == 1
    for i in range(9):
        questions.nth(i).get_by_label(VARIOS_DIAS if i == 8 else NINGUN_DIA).check()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    client_page.screenshot(path=str(ARTIFACTS / "es-phq9-portal.png"), full_page=True)
    problems = serious_violations(client_page)
    client_page.locator("button[name=finish]").click()

    # Crisis resources at once, and the alert for a clinician.
    crisis = client_page.locator("section.crisis[role=alert]")
    crisis.wait_for()
    assert "988" in crisis.inner_text()
    problems += serious_violations(client_page)
    phone.close()
    alert = RiskAlert.objects.get(administration=administration)
    assert (alert.item, alert.is_open) == ("phq9-9", True)
    administration.refresh_from_db()
    assert (administration.status, administration.answers["phq9-9"]) == ("completed", 1)
    assert problems == []
