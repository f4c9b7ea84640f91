"""A client's pages in the client's language (issue 15 §3, docs/languages.md): a Spanish
client reads Spanish on every page their links open, an English client English, anyone may
switch, and the staff side stays English whatever the browser asks."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from touchstone.conftest import Cast, make_client
from touchstone.measures.tests.factories import answered
from touchstone.portal.models import PortalLink
from touchstone.portal.tests.test_booking import clinic, link_for  # noqa: F401  (fixture)
from touchstone.tests.languages import prefer

ITEM_9 = {f"phq9-{i}": "0" for i in range(1, 9)} | {"phq9-9": "1"}


def _send(
    cast: Cast, client_language: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, PortalLink]:
    """A PHQ-9 link, created by Tess on the staff page, for a client of ``client_language``."""
    client = prefer(monkeypatch, make_client(cast.harbour), client_language)
    response = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/links/new/", {"instrument_ids": ["phq9"], "valid_days": "3"}
    )
    page = response.content.decode()
    assert '<html lang="en">' in page and "Link ready for" in page  # staff: English
    url = re.search(r'value="(http[^"]+/p/[^"]+)"', page).group(1)
    return url.split("testserver", 1)[1], PortalLink.objects.get(client=client)


def _answers(link: PortalLink) -> dict[str, str]:
    pk = link.administrations.get().pk
    return {f"a{pk}-{key}": value for key, value in ITEM_9.items()}


def test_it_opens_a_spanish_clients_private_link_in_spanish(cast: Cast, monkeypatch):
    path, _ = _send(cast, "es", monkeypatch)
    response = HttpClient().get(path)
    page = response.content.decode()
    assert '<html lang="es">' in page and response["Content-Language"] == "es"
    assert "Hola Dana" not in page and "Hola, Dana" in page
    assert "Enviar mis respuestas" in page and "Send my answers" not in page
    assert "Período evaluado: las últimas 2 semanas." in page
    # The switch offers English, named in English.
    assert 'lang="en" hreflang="en">English</a>' in page


def test_it_thanks_a_spanish_client_in_spanish_with_988s_spanish_line_beside_the_clinics(
    cast: Cast, monkeypatch
):
    path, link = _send(cast, "es", monkeypatch)
    phone = HttpClient()
    page = phone.post(path, {**_answers(link), "finish": "1"}).content.decode()
    assert "Gracias" in page and "Si está pensando en hacerse daño, hay ayuda ahora mismo" in page
    assert escape(cast.harbour.crisis_line) in page  # the clinic's own words, as written
    assert "llame al 988 y oprima 2" in page and "AYUDA" in page
    assert f"En una emergencia, llame al <strong>{cast.harbour.emergency_number}</strong>" in page
    assert "Su clínica verá su respuesta y se comunicará con usted." in page


def test_an_english_clients_link_stays_english(cast: Cast, monkeypatch):
    path, link = _send(cast, "en", monkeypatch)
    phone = HttpClient(headers={"accept-language": "es"})  # the stored preference wins
    page = phone.get(path).content.decode()
    assert '<html lang="en">' in page and "Hello Dana" in page and "Hola" not in page
    page = phone.post(path, {**_answers(link), "finish": "1"}).content.decode()
    assert "If you are thinking about hurting yourself" in page
    assert "988 in Spanish: call 988 and press 2, or text AYUDA to 988." in page


def test_a_client_switches_language_and_the_choice_is_remembered(cast: Cast, monkeypatch):
    path, _ = _send(cast, "en", monkeypatch)
    phone = HttpClient()
    switched = phone.get(f"{path}?lang=es")
    assert "Hola, Dana" in switched.content.decode()
    assert switched.cookies["django_language"].value == "es"
    assert "Hola, Dana" in phone.get(path).content.decode()  # the cookie, not the URL
    assert "Hello Dana" in phone.get(f"{path}?lang=en").content.decode()
    assert "Hello Dana" in HttpClient().get(f"{path}?lang=xx").content.decode()  # not offered


def test_a_link_that_no_longer_works_follows_the_browser(cast: Cast, monkeypatch):
    spanish = HttpClient(headers={"accept-language": "es-MX,es;q=0.9"}).get("/p/nonsense/")
    assert spanish.status_code == 404
    page = spanish.content.decode()
    assert '<html lang="es">' in page and "Este enlace no está disponible" in page
    assert "oprima 2" in page
    english = HttpClient().get("/p/nonsense/").content.decode()
    assert "This link is not available" in english and "call or text 988 (US)" in english


def test_the_booking_page_of_a_spanish_client_is_in_spanish(clinic: Cast, monkeypatch):  # noqa: F811
    client = prefer(monkeypatch, make_client(clinic.harbour), "es")
    _, book = link_for(clinic, client, purpose="booking")
    page = HttpClient().get(book).content.decode()
    assert '<html lang="es">' in page and "Reserve su próxima visita" in page
    assert "Sus próximas citas" in page and "Ver horarios disponibles" in page
    assert "Cualquier persona disponible" in page  # a form's choice
    refused = HttpClient().post(book, {"slot": "yesterday"})
    assert "Elija uno de los horarios que se muestran." in refused.content.decode()


def test_the_staff_side_stays_english_whatever_the_browser_or_the_last_request(
    cast: Cast, monkeypatch
):
    path, _ = _send(cast, "es", monkeypatch)
    tess = cast.browser_for(cast.tess)
    tess.get(f"{path}?lang=es")  # Tess previews the client's page: the cookie is now "es"
    response = tess.get("/clients/", headers={"accept-language": "es"})
    page = response.content.decode()
    assert '<html lang="en">' in page and response["Content-Language"] == "en"
    assert "Clients" in page


def test_a_spanish_clients_progress_page_is_in_spanish(cast: Cast, monkeypatch):
    client = prefer(monkeypatch, make_client(cast.harbour), "es")
    answered(client, cast.tess, "phq9", [2, 2, 2, 1, 1, 1, 1, 1, 0])
    _, book = link_for(cast, client, purpose="progress")
    page = HttpClient().get(book.removesuffix("book/")).content.decode()
    assert '<html lang="es">' in page and "Su progreso, Dana" in page
    assert "Tabla de puntajes" in page and "Cambio desde el punto de partida" in page
    # Words made in Python for this page, and the chart's axis titles.
    assert "El cambio se evalúa dentro de un período de atención" in page
    assert '"title": "Fecha"' in page


def test_a_spanish_clients_sleep_diary_is_in_spanish(cast: Cast, monkeypatch):
    client = prefer(monkeypatch, make_client(cast.harbour), "es")
    link, _ = link_for(cast, client, purpose="sleep_diary")
    diary = reverse("physiology:diary", args=[link.token])
    page = HttpClient().get(diary).content.decode()
    assert '<html lang="es">' in page and "Diario de sueño" in page
    assert "1. Hora en que se acostó" in page and "Muy buena" in page
    tomorrow = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    refused = HttpClient().post(diary, {"night_of": tomorrow}).content.decode()
    assert "Esta noche todavía no ha ocurrido." in refused
    assert "Este campo es obligatorio." in refused  # Django's own catalogue


def test_it_points_out_a_blank_question_to_a_spanish_client_in_spanish(cast: Cast, monkeypatch):
    path, link = _send(cast, "es", monkeypatch)
    answers = _answers(link)
    answers.pop(next(key for key in answers if key.endswith("phq9-4")))
    page = HttpClient().post(path, {**answers, "finish": "1"}).content.decode()
    assert "No respondió 1 pregunta." in page and "Todavía sin respuesta." in page
    assert "Enviarlas tal como están" in page and "You have not answered" not in page
