"""A clinic enters the publisher's official translation of a free instrument Touchstone ships
no translation of (issue 15 §3; docs/instruments.md, "Translations"): PHQ-15 in Spanish.

The Spanish texts below are a TEST FIXTURE, not Pfizer's official translation and not a
translation at all: every string says so. Touchstone ships no Spanish PHQ-15 because no copy of
Pfizer's could be found with confidence; a clinic's owner types the publisher's form in."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from touchstone.conftest import Cast, actor_of, make_client
from touchstone.instruments.models import InstrumentText
from touchstone.measures.actions import do_enter_instrument_text, do_start_administration
from touchstone.measures.instruments import definition_for, instrument
from touchstone.measures.models import Administration, Mode
from touchstone.science.instruments import Instrument

SOURCE = "Pfizer PHQ-15, Spanish for the USA, phqscreeners.com"
MARK = "[TEST FIXTURE, not the official translation]"


def fixture_texts(definition: Instrument) -> dict[str, Any]:
    """A complete texts object in the shape an owner types, every string marked as a fixture."""
    return {
        "instructions": [f"{MARK} instrucciones {n}" for n in range(len(definition.instructions))],
        "items": {
            it.link_id: {
                "text": f"{MARK} pregunta {it.number}",
                "options": {o.code: f"{MARK} respuesta {o.value}" for o in it.options},
            }
            for it in definition.items
        },
    }


def _post(browser: HttpClient, texts: dict[str, Any], instrument_id: str = "phq15") -> Any:
    return browser.post(
        f"/measures/instruments/{instrument_id}/text/",
        {
            "texts": json.dumps(texts, ensure_ascii=False),
            "language": "es",
            "licence_reference": SOURCE,
            "attest": "on",
        },
    )


def test_the_owner_enters_a_spanish_phq15_and_a_spanish_clients_link_shows_it(cast: Cast):
    owner = cast.browser_for(cast.alice)
    form = owner.get("/measures/instruments/phq15/text/").content.decode()
    assert "official translation" in form and '<option value="es" selected>' in form
    assert '<option value="en"' not in form  # PHQ-15 ships in English: nothing to enter there
    saved = _post(owner, fixture_texts(instrument("phq15")))
    assert saved.status_code == 302, saved.content.decode()[-800:]
    text = InstrumentText.objects.get()
    assert (text.instrument_id, text.language, text.version) == ("phq15", "es", 1)
    assert (text.licence_reference, text.attested_by) == (SOURCE, cast.alice)
    library = owner.get("/measures/instruments/").content.decode()
    assert f"Official translation (es) v1, {cast.alice.display_name}" in library

    client = make_client(cast.harbour, preferred_language="es")
    created = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/links/new/", {"instrument_ids": ["phq15"], "valid_days": "3"}
    )
    url = re.search(r'value="(http[^"]+/p/[^"]+)"', created.content.decode()).group(1)
    page = HttpClient().get(url.split("testserver", 1)[1]).content.decode()
    assert '<html lang="es">' in page and '<div class="items" lang="es">' in page
    assert f"{MARK} pregunta 1" in page and f"{MARK} respuesta 2" in page
    assert f"{MARK} instrucciones 0" in page
    assert "Stomach pain" not in page and "language-note" not in page
    given = Administration.objects.get()
    assert (given.language, given.text) == ("es", text)
    # The scoring block is the shipped one: same values, bands, missing rule and range.
    shown, shipped = definition_for(given), instrument("phq15")
    assert (shown.bands, shown.missing, shown.total_max) == (
        shipped.bands,
        shipped.missing,
        shipped.total_max,
    )
    assert [o.value for it in shown.items for o in it.options] == [
        o.value for it in shipped.items for o in it.options
    ]


def test_the_tablet_and_the_clinic_give_it_in_spanish_and_english_clients_keep_english(
    cast: Cast,
):
    do_enter_instrument_text(
        actor_of(cast.alice), "phq15", fixture_texts(instrument("phq15")), SOURCE, language="es"
    )
    tess = actor_of(cast.tess)
    spanish = make_client(cast.harbour, preferred_language="es")
    for mode in (Mode.TABLET, Mode.CLINIC):
        given = do_start_administration(tess, spanish, "phq15", mode)
        assert given.language == "es" and definition_for(given).item("phq15-1").text.startswith(
            MARK
        )
    english = do_start_administration(tess, make_client(cast.harbour), "phq15", Mode.TABLET)
    assert (english.language, english.text) == ("en", None)
    assert definition_for(english).item("phq15-1").text == instrument("phq15").item("phq15-1").text
    # Another clinic's entry translates nothing here, and the shipped PHQ-9 Spanish stays.
    other = do_start_administration(
        actor_of(cast.charlie), make_client(cast.northside, preferred_language="es"), "phq15",
        Mode.TABLET,
    )  # fmt: skip
    assert (other.language, other.text) == ("en", None)
    assert do_start_administration(tess, spanish, "phq9", Mode.TABLET).text is None


@pytest.mark.parametrize("instrument_id", ["phq15", "who5"])
def test_a_new_entry_is_the_next_version_and_names_its_source(cast: Cast, instrument_id: str):
    texts = fixture_texts(instrument(instrument_id))
    first = do_enter_instrument_text(
        actor_of(cast.alice), instrument_id, texts, SOURCE, language="es"
    )
    second = do_enter_instrument_text(
        actor_of(cast.alice), instrument_id, texts, "the corrected form", language="es"
    )
    assert (first.version, second.version) == (1, 2)
    assert InstrumentText.objects.filter(instrument_id=instrument_id).count() == 2


def test_only_the_owner_may_enter_it(cast: Cast):
    texts = fixture_texts(instrument("phq15"))
    for member in (cast.bob, cast.tess, cast.fiona, cast.rita):
        browser = cast.browser_for(member)
        assert browser.get("/measures/instruments/phq15/text/").status_code == 403
        assert _post(browser, texts).status_code == 403
    assert not InstrumentText.objects.exists()


def _without_item(texts: dict[str, Any]) -> dict[str, Any]:
    del texts["items"]["phq15-7"]
    return texts


def _without_label(texts: dict[str, Any]) -> dict[str, Any]:
    del texts["items"]["phq15-3"]["options"]["LA18334-5"]
    return texts


def _blank_label(texts: dict[str, Any]) -> dict[str, Any]:
    texts["items"]["phq15-3"]["options"]["LA18334-5"] = " "
    return texts


def _without_instructions(texts: dict[str, Any]) -> dict[str, Any]:
    texts["instructions"] = []
    return texts


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_without_item, "items: &#x27;phq15-7&#x27; has no text"),
        (_without_label, "items.phq15-3.options: option &#x27;LA18334-5&#x27; has no label"),
        (_blank_label, "option &#x27;LA18334-5&#x27; has no label"),
        (_without_instructions, "instructions: 1 instruction(s) to translate, 0 given"),
    ],
)
def test_an_incomplete_translation_is_refused_and_nothing_is_stored(
    cast: Cast, damage: Any, message: str
):
    assert instrument("phq15").item("phq15-3").options[0].code == "LA18334-5"
    response = _post(cast.browser_for(cast.alice), damage(fixture_texts(instrument("phq15"))))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The translation is incomplete" in page and message in page
    assert not InstrumentText.objects.exists()


def test_a_language_shipped_already_cannot_be_entered(cast: Cast):
    response = _post(cast.browser_for(cast.alice), fixture_texts(instrument("phq9")), "phq9")
    assert response.status_code == 404  # PHQ-9 ships English and Spanish: nothing to enter
    with pytest.raises(Exception, match="ships its text in this language"):
        do_enter_instrument_text(
            actor_of(cast.alice), "phq15", fixture_texts(instrument("phq15")), SOURCE
        )  # English, PHQ-15's own language
    assert not InstrumentText.objects.exists()


def _listed(*args: str) -> set[str]:
    out = io.StringIO()
    call_command("instruments", "--lang", "es", *args, stdout=out)
    return {i["id"] for i in json.loads(out.getvalue())["instruments"]}


def test_the_command_lists_it_for_that_clinic_only(cast: Cast):
    do_enter_instrument_text(
        actor_of(cast.alice), "phq15", fixture_texts(instrument("phq15")), SOURCE, language="es"
    )
    assert "phq15" in _listed("--clinic", "harbour")
    assert "phq15" not in _listed("--clinic", "northside")
    assert "phq15" not in _listed()  # what Touchstone ships
    out = io.StringIO()
    call_command("instruments", "phq15", "--lang", "es", "--clinic", "harbour", stdout=out)
    detail = json.loads(out.getvalue())
    assert detail["language"] == "es" and "note" not in detail
    assert detail["item_list"][0]["text"] == f"{MARK} pregunta 1"
