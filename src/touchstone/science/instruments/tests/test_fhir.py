"""Third-party FHIR Questionnaires imported and their responses scored; exports round-trip.

Fixtures in ``fixtures/`` are byte-for-byte copies of public files (CC0 / BSD-style / MIT;
provenance and blob hashes in ``fixtures/SOURCES.md``).
"""

import copy
import json
from pathlib import Path

import pytest

from touchstone.science.instruments import (
    AnswerError,
    QuestionnaireImportError,
    all_instruments,
    import_questionnaire,
    load_instrument,
    score,
    score_response,
    to_fhir_questionnaire,
    to_questionnaire_response,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


US_CORE_QR = "QuestionnaireResponse-phq-9-example.json"


@pytest.mark.parametrize("questionnaire", ["Questionnaire-phq-9-example.json", "phq9.json"])
def test_it_scores_the_us_core_phq9_response_as_reported(questionnaire):
    # US Core's QR reports total 12 (its /44261-6 item, valueDecimal 12); 10-14 = moderate
    # [Kroenke-2001]. phq9.json (LHC-Forms) has answer codings without a system.
    inst = import_questionnaire(fixture(questionnaire))
    assert inst.id == "phq9"  # recognised by Questionnaire.code LOINC 44249-1
    result = score_response(inst, fixture(US_CORE_QR))
    assert (result.total, result.severity, result.risk_flags) == (12, "moderate", ())
    reported = next(i for i in fixture(US_CORE_QR)["item"] if i["linkId"] == "/44261-6")
    assert reported["answer"][0]["valueDecimal"] == result.total


def test_it_matches_by_code_alone_when_the_response_has_no_system():
    inst = import_questionnaire(fixture("Questionnaire-phq-9-example.json"))
    qr = fixture(US_CORE_QR)
    for item in qr["item"]:
        for answer in item.get("answer", ()):
            answer.get("valueCoding", {}).pop("system", None)
    assert score_response(inst, qr).total == 12


def test_it_rejects_an_unknown_answer_code_naming_link_id_and_code():
    inst = import_questionnaire(fixture("Questionnaire-phq-9-example.json"))
    qr = copy.deepcopy(fixture(US_CORE_QR))
    qr["item"][8]["answer"][0]["valueCoding"]["code"] = "LA9999-9"
    with pytest.raises(AnswerError, match=r"/44260-8.*LA9999-9"):
        score_response(inst, qr)


def test_it_rejects_a_code_from_another_system():
    inst = import_questionnaire(fixture("Questionnaire-phq-9-example.json"))
    qr = copy.deepcopy(fixture(US_CORE_QR))
    qr["item"][0]["answer"][0]["valueCoding"]["system"] = "http://snomed.info/sct"
    with pytest.raises(AnswerError, match="/44250-9"):
        score_response(inst, qr)


def test_it_scores_the_sdc_phq9_from_its_contained_value_set():
    # SDC example answers: 0,0,0,1,2,1,3,2,1 -> 10. The fixture's own "H1/TS" item says 13,
    # which does not equal the sum of its answers: Touchstone reports what the answers give.
    q = fixture("questionnaire-sdc-profile-example-PHQ9.json")
    qr = fixture("questionnaireresponse-sdc-profile-example-PHQ9.json")
    generic = score_response(import_questionnaire(q), qr)
    assert (generic.total, generic.severity) == (10, None)  # no bands: not a known instrument
    as_phq9 = score_response(import_questionnaire(q, like="phq9"), qr)
    assert (as_phq9.total, as_phq9.severity) == (10, "moderate")
    assert as_phq9.risk_flags == ("H1/T1/Q9",)  # item 9 = "Several days" (1) -> risk


def test_it_imports_the_stanford_gad7_as_gad7_by_item_order():
    inst = import_questionnaire(fixture("GAD-7.json"), like="gad7")
    assert len(inst.scored_items) == 7
    qr = {
        "resourceType": "QuestionnaireResponse",
        "item": [
            {"linkId": it.link_id, "answer": [{"valueCoding": {"code": "Nearly every day"}}]}
            for it in inst.scored_items
        ],
    }
    result = score_response(inst, qr)
    assert (result.total, result.severity, result.alert) == (21, "severe", True)


def test_it_refuses_to_map_a_questionnaire_onto_the_wrong_instrument():
    with pytest.raises(QuestionnaireImportError, match="7 weighted items"):
        import_questionnaire(fixture("GAD-7.json"), like="phq9")


def test_it_refuses_a_questionnaire_without_weights():
    q = fixture("Questionnaire-phq-9-example.json")
    for item in q["item"]:
        for option in item.get("answerOption", ()):
            option.pop("extension", None)
    with pytest.raises(QuestionnaireImportError, match="ordinalValue"):
        import_questionnaire(q)


@pytest.mark.parametrize("inst_id", sorted(all_instruments()))
def test_it_round_trips_every_definition_through_fhir(inst_id):
    inst = load_instrument(inst_id)
    exported = to_fhir_questionnaire(inst)
    text = json.dumps(exported)
    assert '"scoring"' not in text and '"licence"' not in text
    assert exported["resourceType"] == "Questionnaire"
    for item in exported["item"]:
        assert item["type"] in {"display", "choice", "integer"}
        for option in item.get("answerOption", ()):
            assert "valueCoding" in option
    back = import_questionnaire(json.loads(text), like=inst)
    for answers in ([it.min_value for it in inst.scored_items],
                    [it.max_value for it in inst.scored_items]):  # fmt: skip
        original = score(inst, answers)
        again = score_response(back, to_questionnaire_response(inst, answers))
        assert (again.total, again.severity) == (original.total, original.severity)
        assert len(again.risk_flags) == len(original.risk_flags)


def test_it_exports_reversed_weights_for_pss10():
    # [CMU-PSS]: item 4 reversed, so "never" (0) weighs 4 in the exported Questionnaire.
    exported = to_fhir_questionnaire(load_instrument("pss10"))
    item4 = next(i for i in exported["item"] if i["linkId"] == "pss10-4")
    weights = [o["extension"][0]["valueDecimal"] for o in item4["answerOption"]]
    assert weights == [4, 3, 2, 1, 0]
