"""Official translations: texts per language over one scoring block (docs/instruments.md,
"Translations"). The expected Spanish wording is Pfizer's PHQ-9 "Spanish for the USA" form
([PHQ9-es], phqscreeners.com, as transcribed at
https://es.studenta.com/content/129686767/patient-health-questionnaire-9-spanish)."""

import copy
import json

import pytest

from touchstone.science.instruments import (
    DefinitionError,
    all_instruments,
    in_language,
    load_instrument,
    parse_definition,
    score,
    to_fhir_questionnaire,
)
from touchstone.science.instruments.loader import DEFINITIONS_DIR

SPANISH = {"phq9", "phq2", "gad7", "gad2"}


def _raw(instrument_id: str) -> dict:
    return json.loads((DEFINITIONS_DIR / f"{instrument_id}.json").read_text(encoding="utf-8"))


def test_spanish_is_shipped_for_the_phq_family_with_an_official_text_only():
    assert {i for i, inst in all_instruments().items() if "es" in inst.languages} == SPANISH


def test_it_gives_phq9_in_the_official_spanish_wording():
    phq9 = in_language(load_instrument("phq9"), "es")
    assert phq9.language == "es"
    assert phq9.instructions == (
        "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
        "siguientes problemas?",
    )
    assert phq9.item("phq9-9").text == (
        "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera"
    )
    assert [o.display for o in phq9.item("phq9-1").options] == [
        "Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días",
    ]  # fmt: skip
    assert phq9.item("phq9-difficulty").options[0].display == "No ha sido difícil"
    assert phq9.licence.citation.startswith("Elaborado por los doctores Robert L. Spitzer")


@pytest.mark.parametrize("instrument_id", sorted(SPANISH))
def test_the_language_changes_the_texts_and_never_the_scoring(instrument_id):
    english = load_instrument(instrument_id)
    spanish = in_language(english, "es")
    for en_item, es_item in zip(english.items, spanish.items, strict=True):
        assert es_item.text and es_item.text != en_item.text
        assert [(o.code, o.value) for o in es_item.options] == [
            (o.code, o.value) for o in en_item.options
        ]
        assert (es_item.link_id, es_item.scored, es_item.reverse) == (
            en_item.link_id, en_item.scored, en_item.reverse,
        )  # fmt: skip
    answers = [it.max_value for it in english.scored_items]
    assert score(spanish, answers).to_dict() == score(english, answers).to_dict()
    assert (spanish.bands, spanish.risk) == (english.bands, english.risk)


def test_an_instrument_without_an_official_translation_stays_in_english():
    phq15 = load_instrument("phq15")
    assert phq15.languages == ("en",)
    assert in_language(phq15, "es") is phq15


def test_the_fhir_questionnaire_carries_the_language_it_is_in():
    assert to_fhir_questionnaire(in_language(load_instrument("gad7"), "es"))["language"] == "es"


def _broken(mutate) -> str:
    data = copy.deepcopy(_raw("phq9"))
    mutate(data)
    with pytest.raises(DefinitionError) as error:
        parse_definition(data, "phq9.json")
    return str(error.value)


def test_a_translation_must_label_every_option():
    def drop(data):
        del data["translations"]["es"]["items"]["phq9-9"]["options"]["LA6571-9"]

    assert _broken(drop) == (
        "phq9.json: translations.es.items.phq9-9.options: option 'LA6571-9' has no label"
    )


def test_a_translation_must_give_every_item_its_text():
    def drop(data):
        del data["translations"]["es"]["items"]["phq9-difficulty"]

    assert "translations.es.items: 'phq9-difficulty' has no text" in _broken(drop)


def test_a_translation_cannot_name_an_item_the_definition_does_not_have():
    def add(data):
        data["translations"]["es"]["items"]["phq9-10"] = {"text": "¿Otra?"}

    assert "translations.es: items.phq9-10: not an item of phq9" in _broken(add)


def test_a_translation_gives_every_instruction():
    def drop(data):
        data["translations"]["es"]["instructions"] = []

    assert "translations.es.instructions: 1 instruction(s) to translate, 0 given" in _broken(drop)


def test_a_translation_names_its_source_and_a_bcp47_language():
    def no_source(data):
        del data["translations"]["es"]["source"]

    def bad_key(data):
        data["translations"]["Spanish"] = data["translations"].pop("es")

    assert "'source' is a required property" in _broken(no_source)
    assert "translations" in _broken(bad_key)


def test_a_licensed_instrument_ships_no_translation():
    data = _raw("epds")
    data["translations"] = {"es": {"items": {}, "source": "x"}}
    with pytest.raises(DefinitionError, match="ships no text ships no translation"):
        parse_definition(data, "epds.json")


def test_the_fhir_questionnaire_carries_its_official_translations_as_extensions():
    # R4 core extension http://hl7.org/fhir/StructureDefinition/translation (lang, content)
    q = to_fhir_questionnaire(load_instrument("phq9"))
    assert q["language"] == "en"

    def spanish(element: dict, key: str) -> str:
        (ext,) = element[f"_{key}"]["extension"]
        assert ext["url"] == "http://hl7.org/fhir/StructureDefinition/translation"
        parts = {e["url"]: e.get("valueCode", e.get("valueString")) for e in ext["extension"]}
        assert parts["lang"] == "es"
        return parts["content"]

    item9 = next(i for i in q["item"] if i["linkId"] == "phq9-9")
    assert spanish(item9, "text").startswith("Pensamientos de que estaría mejor muerto(a)")
    assert spanish(item9["answerOption"][3]["valueCoding"], "display") == "Casi todos los días"
    assert spanish(q["item"][0], "text").startswith("Durante las últimas 2 semanas")
    assert spanish(q, "title") == "Cuestionario sobre la salud del paciente-9 (PHQ-9)"
    assert "_text" not in to_fhir_questionnaire(load_instrument("phq15"))["item"][1]
