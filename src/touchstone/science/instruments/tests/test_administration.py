"""Given as validated: the authors' instructions and recall period travel with every
instrument (issue 10 §3), and PHQ-15 item 4 applies to women only, as CamCOPS scores it."""

import itertools
import json

import numpy as np
import pytest

from touchstone.science.instruments import (
    AnswerError,
    DefinitionError,
    load_instrument,
    merge_texts,
    parse_definition,
    score,
    score_batch,
    to_fhir_questionnaire,
)
from touchstone.science.instruments.fhir import RECALL_PERIOD_EXTENSION
from touchstone.science.instruments.loader import DEFINITIONS_DIR

# The authors' stems (docs/instruments.md "Instructions and recall periods" names each source).
PHQ_STEM = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)
GAD_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"


@pytest.mark.parametrize(
    ("instrument_id", "stem"),
    [("phq9", PHQ_STEM), ("gad7", GAD_STEM), ("gad2", GAD_STEM),
     ("phq15", "During the past 4 weeks, how much have you been bothered by any of the "
               "following problems?")],
)  # fmt: skip
def test_it_keeps_the_authors_instructions(instrument_id, stem):
    assert load_instrument(instrument_id).instructions == (stem,)


@pytest.mark.parametrize(
    ("instrument_id", "days", "label"),
    [("phq9", 14, "2 weeks"), ("gad7", 14, "2 weeks"), ("phq15", 28, "4 weeks"),
     ("who5", 14, "2 weeks"), ("epds", 7, "7 days"), ("isi", 14, "2 weeks"),
     ("pss10", 30, "1 month")],
)  # fmt: skip
def test_it_knows_each_recall_period(instrument_id, days, label):
    inst = load_instrument(instrument_id)
    assert inst.recall is not None and inst.recall.source
    assert (inst.recall.days, inst.recall.label, inst.min_followup_days) == (days, label, days)


def test_an_instrument_asked_about_right_now_needs_a_day_between_scores():
    inst = load_instrument("rating-tension")
    assert inst.recall is None and inst.min_followup_days == 1


def test_it_refuses_instructions_without_their_source():
    data = json.loads((DEFINITIONS_DIR / "gad7.json").read_text())
    del data["instructions_source"]
    with pytest.raises(DefinitionError, match="instructions_source"):
        parse_definition(data, "gad7.json")


def test_it_refuses_a_recall_period_in_unknown_units():
    data = json.loads((DEFINITIONS_DIR / "gad7.json").read_text())
    data["recall_period"]["unit"] = "fortnight"
    with pytest.raises(DefinitionError, match=r"recall_period\.unit"):
        parse_definition(data, "gad7.json")


def test_the_fhir_questionnaire_carries_instructions_and_recall_period():
    q = to_fhir_questionnaire(load_instrument("gad7"))
    intro = {k: v for k, v in q["item"][0].items() if k != "_text"}  # _text: its translations
    assert intro == {"linkId": "gad7-intro", "type": "display", "text": GAD_STEM}
    (ext,) = [e for e in q["extension"] if e["url"] == RECALL_PERIOD_EXTENSION]
    assert ext["valueDuration"] == {
        "value": 2, "unit": "weeks", "system": "http://unitsofmeasure.org", "code": "wk"
    }  # fmt: skip
    assert q["language"] == "en"


def test_a_clinic_supplies_the_instructions_of_a_licensed_instrument():
    epds = load_instrument("epds")
    assert epds.instructions == () and epds.recall is not None
    supplied = merge_texts(epds, {"instructions": ["(the licensed stem)"], "items": {}})
    q = to_fhir_questionnaire(supplied)
    assert q["item"][0] == {"linkId": "epds-instructions-1", "type": "display",
                            "text": "(the licensed stem)"}  # fmt: skip
    assert q["extension"][0]["valueDuration"]["code"] == "d"


# --- PHQ-15 item 4 ------------------------------------------------------------------------
# [CAM-PHQ15]: Phq15.is_complete requires q4 only when the patient is female; total_score
# sums the answered items; "In males, maximum score is actually 28"; cut-points 5/10/15.

PHQ15 = load_instrument("phq15")
MAN = [0, 1, 2, None, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]  # item 4 unanswered


def test_a_man_gets_a_14_item_total_instead_of_none():
    r = score(PHQ15, MAN, sex="male")
    assert (r.total, r.computable, r.severity) == (13, True, "medium")
    assert r.not_applicable == ("phq15-4",)
    assert (r.total_min, r.total_max) == (0, 28)


def test_a_woman_still_needs_item_4():
    r = score(PHQ15, MAN, sex="female")
    assert (r.total, r.computable, r.missing) == (None, False, ("phq15-4",))
    full = score(PHQ15, [*MAN[:3], 2, *MAN[4:]], sex="female")
    assert (full.total, full.total_max, full.not_applicable) == (15, 30, ())


def test_item_4_is_refused_for_a_man():
    with pytest.raises(AnswerError, match="phq15-4: not asked"):
        score(PHQ15, [*MAN[:3], 1, *MAN[4:]], sex="male")


def test_item_4_counts_when_answered_and_the_sex_is_not_recorded():
    assert score(PHQ15, MAN).total == 13  # left out, 14 items
    answered = score(PHQ15, [*MAN[:3], 2, *MAN[4:]], sex="unknown")
    assert (answered.total, answered.total_max) == (15, 30)


def test_the_bands_apply_to_the_14_item_total():
    top = [2, 2, 2, None] + [2] * 11
    r = score(PHQ15, top, sex="male")
    assert (r.total, r.severity) == (28, "high")


def test_an_unknown_sex_is_refused():
    with pytest.raises(AnswerError, match="unknown sex"):
        score(PHQ15, MAN, sex="M")


def test_the_batch_scorer_agrees_with_the_single_scorer_for_every_sex():
    # Every pattern of items 1, 4 and 15 (missing, 0-2), other items fixed, for every sex.
    rows, sexes = [], []
    for a, b, c in itertools.product([-1, 0, 1, 2], repeat=3):
        for sex in ("female", "male", "other", "unknown", None):
            if sex == "male" and b >= 0:
                continue  # refused: tested below
            rows.append([a, 1, 0, b, 2, 1, 0, 1, 2, 0, 1, 1, 0, 2, c])
            sexes.append(sex)
    batch = score_batch(PHQ15, np.array(rows, dtype=np.int8), sex=sexes)
    out = batch.to_dict()
    for i, (row, sex) in enumerate(zip(rows, sexes, strict=True)):
        single = score(PHQ15, [None if v < 0 else v for v in row], sex=sex)
        assert out["total"][i] == single.total, (row, sex)
        assert out["severity"][i] == single.severity
        assert out["computable"][i] == single.computable
        assert out["n_missing"][i] == len(single.missing)
        assert out["n_items"][i] == 15 - len(single.not_applicable)


def test_the_batch_scorer_names_the_row_of_a_mans_item_4():
    rows = np.array([MAN, [*MAN[:3], 1, *MAN[4:]]], dtype=float)
    with pytest.raises(AnswerError, match=r"row 1, item phq15-4: not asked"):
        score_batch(PHQ15, rows, sex="male")
