"""Tablet mode: the client holds the tablet, so its pages are in the client's language;
the staff member's pages around it stay English (docs/languages.md)."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.utils import translation

from touchstone.conftest import Cast, make_client
from touchstone.measures.forms import AnswersForm
from touchstone.measures.instruments import instrument
from touchstone.measures.models import Administration
from touchstone.tests.languages import prefer

PHQ9_WITH_ITEM_9 = {f"phq9-{i}": "1" for i in range(1, 10)}


def _tablet(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, language: str
) -> tuple[HttpClient, Administration, str]:
    """Tess hands the tablet with a PHQ-9 to a client of ``language``: the form page."""
    client = prefer(monkeypatch, make_client(cast.harbour), language)
    http = cast.browser_for(cast.tess)
    http.post(
        f"/clients/{client.pk}/questionnaires/new/", {"instrument_id": "phq9", "mode": "tablet"}
    )
    a = Administration.objects.get()
    return http, a, http.get(f"/measures/administrations/{a.pk}/").content.decode()


def test_it_gives_a_spanish_client_the_tablet_in_spanish_and_takes_it_back_in_english(
    cast: Cast, monkeypatch
):
    http, a, form = _tablet(cast, monkeypatch, "es")
    assert '<html lang="es">' in form and "No hay respuestas correctas ni incorrectas." in form
    thanks = http.post(f"/measures/administrations/{a.pk}/", {**PHQ9_WITH_ITEM_9, "finish": "1"})
    page = thanks.content.decode()
    assert "Devuelva la tableta a su terapeuta" in page and "oprima 2" in page
    assert 'lang="en">Staff: take the tablet back' in page
    back = http.get("/measures/tablet/hand-back/").content.decode()
    assert '<html lang="en">' in back and "Enter your own password" in back


def test_it_gives_the_tablet_in_english_to_an_english_client(cast: Cast, monkeypatch):
    _, _, form = _tablet(cast, monkeypatch, "en")
    assert '<html lang="en">' in form and "There are no right or wrong answers." in form


def test_an_item_without_text_is_named_in_the_language_of_the_page():
    scoring_only = instrument("epds")  # no item text: the label falls back to the number
    with translation.override("es"):
        assert AnswersForm(scoring_only).fields["epds-1"].label == "Pregunta 1"
    with translation.override("en"):
        assert AnswersForm(scoring_only).fields["epds-10"].label == "Item 10"
