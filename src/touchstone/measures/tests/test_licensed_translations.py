"""Licensed texts as FHIR Questionnaires and in other languages (issue 15 §1 and §3): an owner
uploads the publisher's Questionnaire file instead of typing the texts object, and a licensed
translation is one more text in its language, given to the clients who prefer it."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from touchstone.conftest import Cast, actor_of, make_client
from touchstone.instruments.models import InstrumentText
from touchstone.measures.actions import do_enter_instrument_text, do_start_administration
from touchstone.measures.instruments import definition_for, instrument
from touchstone.measures.models import Mode
from touchstone.measures.tests.test_every_instrument import licensed_texts
from touchstone.science.instruments import merge_texts, to_fhir_questionnaire


def _questionnaire(instrument_id: str, mark: str) -> dict:
    """The licensed text as a vendor ships it: a FHIR Questionnaire with texts and codes."""
    definition = instrument(instrument_id)
    return to_fhir_questionnaire(merge_texts(definition, licensed_texts(definition, mark)))


def test_the_owner_uploads_the_licensed_text_as_a_fhir_questionnaire(cast: Cast):
    upload = SimpleUploadedFile(
        "epds.json", json.dumps(_questionnaire("epds", "uploaded")).encode(), "application/json"
    )
    saved = cast.browser_for(cast.alice).post(
        "/measures/instruments/epds/text/",
        {"upload": upload, "licence_reference": "RCPsych permission 2026/44", "attest": "on"},
    )
    assert saved.status_code == 302, saved.content.decode()[-800:]
    text = InstrumentText.objects.get()
    assert text.texts["items"]["epds-10"]["text"] == "epds item 10 (uploaded text)"
    assert text.texts["instructions"] == [f"{instrument('epds').title}: uploaded instructions."]
    client = make_client(cast.harbour)
    given = do_start_administration(actor_of(cast.tess), client, "epds", Mode.PORTAL)
    assert definition_for(given).item("epds-1").text == "epds item 1 (uploaded text)"


def test_a_questionnaire_of_another_instrument_is_refused_with_the_item_named(cast: Cast):
    response = cast.browser_for(cast.alice).post(
        "/measures/instruments/epds/text/",
        {"texts": json.dumps(_questionnaire("isi", "x")), "licence_reference": "r", "attest": "on"},
    )
    assert "items.isi-1: not an item of epds" in response.content.decode()
    assert not InstrumentText.objects.exists()


def test_a_licensed_translation_is_given_to_the_clients_who_prefer_its_language(cast: Cast):
    actor, isi = actor_of(cast.alice), instrument("isi")
    do_enter_instrument_text(actor, "isi", licensed_texts(isi, "English"), "Mapi licence 1")
    do_enter_instrument_text(
        actor, "isi", licensed_texts(isi, "español"), "Mapi licence 1", language="es"
    )
    tess = actor_of(cast.tess)
    spanish = do_start_administration(
        tess, make_client(cast.harbour, preferred_language="es"), "isi", Mode.PORTAL
    )
    english = do_start_administration(tess, make_client(cast.harbour), "isi", Mode.PORTAL)
    assert (spanish.language, spanish.text.language) == ("es", "es")
    assert definition_for(spanish).item("isi-1").text == "isi item 1 (español text)"
    assert definition_for(spanish).language == "es"
    assert (english.language, definition_for(english).item("isi-1").text) == (
        "en",
        "isi item 1 (English text)",
    )


def test_without_a_licensed_translation_the_english_text_is_given(cast: Cast):
    do_enter_instrument_text(
        actor_of(cast.alice), "pss10", licensed_texts(instrument("pss10")), "ASA permission"
    )
    given = do_start_administration(
        actor_of(cast.tess), make_client(cast.harbour, preferred_language="es"), "pss10",
        Mode.TABLET,
    )  # fmt: skip
    assert given.language == "en"
