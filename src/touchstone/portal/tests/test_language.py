"""A client's questionnaires in their language (issue 15 §3): the private link is created in
the client's preferred language (staff may choose another), the page renders the official
translation, the administration records the language given, and an instrument without an
official translation is given in English and says so."""

from __future__ import annotations

import io
import re

from django.core.management import call_command
from django.test import Client as HttpClient

from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.actions import do_start_administration
from touchstone.measures.models import Administration, Mode, RiskAlert
from touchstone.portal.models import PortalLink

ENGLISH_ONLY = "This questionnaire is available in English only."
#: The note as a Spanish-speaking client reads it (the page is in the client's language).
ENGLISH_ONLY_ES = "Este cuestionario solo está disponible en inglés."
PHQ9_ITEM_9_ES = "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera"


def _api(username: str) -> HttpClient:
    out = io.StringIO()
    call_command("token", username, stdout=out)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")


def _send(cast: Cast, client, *instrument_ids: str, **extra: str) -> tuple[str, PortalLink]:
    response = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/links/new/",
        {"instrument_ids": list(instrument_ids), "valid_days": "3", **extra},
    )
    url = re.search(r'value="(http[^"]+/p/[^"]+)"', response.content.decode()).group(1)
    return url.split("testserver", 1)[1], PortalLink.objects.get(client=client)


def test_a_spanish_speaking_client_gets_phq9_in_spanish_and_the_risk_item_still_alerts(
    cast: Cast,
):
    client = make_client(cast.harbour, preferred_language="es")
    path, link = _send(cast, client, "phq9")
    administration = link.administrations.get()
    assert administration.language == "es"
    page = HttpClient().get(path).content.decode()
    assert PHQ9_ITEM_9_ES in page and "Casi todos los días" in page
    assert "¿qué tan seguido ha tenido molestias" in page
    assert '<div class="items" lang="es">' in page and ENGLISH_ONLY_ES not in page
    assert "Thoughts that you would be better off dead" not in page
    answers = {f"a{administration.pk}-phq9-{i}": "0" for i in range(1, 9)}
    thanks = HttpClient().post(path, {**answers, f"a{administration.pk}-phq9-9": "1",
                                      "finish": "1"})  # fmt: skip
    assert "988" in thanks.content.decode()
    assert RiskAlert.objects.get().administration == administration


def test_an_instrument_without_an_official_translation_is_given_in_english_and_says_so(
    cast: Cast,
):
    client = make_client(cast.harbour, preferred_language="es")
    path, link = _send(cast, client, "phq15", "gad7")
    languages = dict(link.administrations.values_list("instrument_id", "language"))
    assert languages == {"phq15": "en", "gad7": "es"}
    page = HttpClient().get(path).content.decode()
    assert page.count(ENGLISH_ONLY_ES) == 1 and "Stomach pain" in page
    assert "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta" in page


def test_staff_choose_another_language_on_the_link_form(cast: Cast):
    client = make_client(cast.harbour, preferred_language="es")
    form = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/links/new/").content.decode()
    assert re.search(r'<option value="es" selected>', form)
    path, link = _send(cast, client, "phq9", language="en")
    assert link.administrations.get().language == "en"
    page = HttpClient().get(path).content.decode()
    assert "Thoughts that you would be better off dead" in page and ENGLISH_ONLY not in page


def test_an_english_speaking_client_stays_in_english(cast: Cast):
    path, link = _send(cast, make_client(cast.harbour), "phq9")
    assert link.administrations.get().language == "en"
    assert "Little interest or pleasure" in HttpClient().get(path).content.decode()


def test_the_tablet_gives_the_clients_language_too(cast: Cast):
    client = make_client(cast.harbour, preferred_language="es")
    administration = do_start_administration(actor_of(cast.tess), client, "gad2", Mode.TABLET)
    assert Administration.objects.get(pk=administration.pk).language == "es"
    page = cast.browser_for(cast.tess).get(f"/measures/administrations/{administration.pk}/")
    assert "No ha sido capaz de parar o controlar su preocupación" in page.content.decode()


def test_answers_sent_through_the_api_record_the_language_the_caller_names(cast: Cast):
    client = make_client(cast.harbour, preferred_language="es")
    api = _api("bob")
    body = {"instrument_id": "gad2", "answers": {"gad2-1": 1, "gad2-2": 0}}
    told = api.post(f"/api/v1/clients/{client.pk}/administrations", body | {"language": "es"},
                    content_type="application/json")  # fmt: skip
    silent = api.post(f"/api/v1/clients/{client.pk}/administrations", body,
                      content_type="application/json")  # fmt: skip
    assert (told.json()["language"], silent.json()["language"]) == ("es", "en")
