"""Definitions load, and a malformed one is rejected with the file and JSON path named."""

import copy
import json

import pytest

from touchstone.science.instruments import (
    DefinitionError,
    UnknownInstrumentError,
    all_instruments,
    load_definition,
    load_instrument,
    merge_texts,
    score,
)
from touchstone.science.instruments.loader import DEFINITIONS_DIR

EXPECTED_IDS = {
    "phq9", "phq2", "gad7", "gad2", "phq15", "who5", "epds", "pss10", "isi", "waisr", "mrs",
    "rating-tension", "rating-anxiety", "rating-mood", "rating-pain", "rating-relaxation",
}  # fmt: skip  # issue 3, point 6


def test_it_ships_every_instrument_the_issue_names():
    assert set(all_instruments()) == EXPECTED_IDS


@pytest.mark.parametrize(
    ("instrument_id", "total_range", "n_scored"),
    [("phq9", (0, 27), 9), ("phq2", (0, 6), 2), ("gad7", (0, 21), 7), ("gad2", (0, 6), 2),
     ("phq15", (0, 30), 15), ("who5", (0, 25), 5), ("epds", (0, 30), 10), ("pss10", (0, 40), 10),
     ("isi", (0, 28), 7), ("waisr", (12, 60), 12), ("mrs", (0, 44), 11)],
)  # fmt: skip
def test_it_loads_the_published_score_ranges(instrument_id, total_range, n_scored):
    # Ranges from instruments.md 1.1-1.13 (sources named there per instrument).
    inst = load_instrument(instrument_id)
    assert (inst.total_min, inst.total_max) == total_range
    assert len(inst.scored_items) == n_scored


def test_it_ships_no_item_text_for_licensed_instruments():
    for inst_id in ("epds", "pss10", "isi", "waisr", "mrs"):
        inst = load_instrument(inst_id)
        assert inst.licence.status in ("licensed", "unverified")
        assert all(it.text is None for it in inst.items)
        assert all(o.display is None for it in inst.items for o in it.options)
        assert "load_instrument" in inst.licence.how_to_supply_text


def test_it_marks_session_ratings_as_not_validated():
    ratings = [i for i in all_instruments().values() if i.id.startswith("rating-")]
    assert len(ratings) == 5
    assert not any(r.validated for r in ratings)


def test_it_marks_the_alert_bands():
    # instruments.md 2.3: PHQ-9 >= 20 and GAD-7 >= 15 -> clinician review.
    assert load_instrument("phq9").alert_bands == ("severe",)
    assert [b.min for b in load_instrument("phq9").bands if b.alert] == [20]
    assert [b.min for b in load_instrument("gad7").bands if b.alert] == [15]


def test_it_rejects_an_unknown_instrument():
    with pytest.raises(UnknownInstrumentError):
        load_instrument("phq99")


def _phq9():
    return json.loads((DEFINITIONS_DIR / "phq9.json").read_text())


def _mutations():
    def band_gap(d):
        d["scoring"]["bands"][2]["min"] = 11

    def band_short(d):
        d["scoring"]["bands"][-1]["max"] = 26

    def wrong_type(d):
        d["scoring"]["bands"][1]["min"] = "5"

    def reverse_unknown(d):
        d["scoring"]["reverse"] = ["phq9-42"]

    def risk_unknown(d):
        d["scoring"]["risk"][0]["item"] = "phq9-10"

    def risk_out_of_range(d):
        d["scoring"]["risk"][0]["min"] = 4

    def scored_unknown(d):
        d["scoring"]["items"][3] = "nope"

    def total_mismatch(d):
        d["scoring"]["total"]["max"] = 30

    def missing_source(d):
        del d["scoring"]["missing"]["source"]

    def no_value_set(d):
        d["item"][1]["answerValueSet"] = "#nowhere"

    def cutoff_without_norm(d):
        del d["change"]["functional"]

    def duplicate_link(d):
        d["item"][2]["linkId"] = "phq9-1"

    return {
        "scoring.bands[2].min": band_gap,
        "scoring.bands[4].max": band_short,
        "scoring.bands[1].min": wrong_type,
        "scoring.reverse[0]": reverse_unknown,
        "scoring.risk[0].item": risk_unknown,
        "scoring.risk[0].min": risk_out_of_range,
        "scoring.items[3]": scored_unknown,
        "scoring.total": total_mismatch,
        "scoring.missing": missing_source,
        "item[1].answerValueSet": no_value_set,
        "change.cutoff": cutoff_without_norm,
        "item[2].linkId": duplicate_link,
    }


@pytest.mark.parametrize(("path", "mutate"), list(_mutations().items()))
def test_it_rejects_a_malformed_definition_naming_file_and_path(tmp_path, path, mutate):
    data = copy.deepcopy(_phq9())
    mutate(data)
    file = tmp_path / "phq9.json"
    file.write_text(json.dumps(data))
    with pytest.raises(DefinitionError) as err:
        load_definition(file)
    assert str(err.value).startswith(f"phq9.json: {path}: "), str(err.value)


def test_it_rejects_a_file_named_differently_from_its_id(tmp_path):
    file = tmp_path / "depression.json"
    file.write_text(json.dumps(_phq9()))
    with pytest.raises(DefinitionError, match=r"^depression\.json: id: "):
        load_definition(file)


def test_it_rejects_invalid_json(tmp_path):
    file = tmp_path / "broken.json"
    file.write_text("{")
    with pytest.raises(DefinitionError, match=r"^broken\.json: \(root\): not valid JSON"):
        load_definition(file)


def test_it_loads_a_clinic_definition_from_an_extra_directory(tmp_path):
    data = _phq9()
    data["id"] = "phq9-clinic"
    (tmp_path / "phq9-clinic.json").write_text(json.dumps(data))
    found = all_instruments(extra_dirs=[tmp_path])
    assert found["phq9-clinic"].total_max == 27
    assert "phq9" in found


def test_it_merges_clinic_supplied_texts_without_changing_scores(tmp_path):
    texts = tmp_path / "epds-texts.json"
    texts.write_text(json.dumps({"items": {"epds-10": {"text": "T10", "options": {"a": "A"}}}}))
    epds = load_instrument("epds", texts=texts)
    assert epds.item("epds-10").text == "T10"
    assert epds.item("epds-10").options[0].display == "A"
    assert score(epds, [0] * 9 + ["a"]).total == 3
    with pytest.raises(DefinitionError, match="epds-11"):
        merge_texts(epds, {"items": {"epds-11": {"text": "x"}}})
    with pytest.raises(DefinitionError, match=r"options\.z"):
        merge_texts(epds, {"items": {"epds-1": {"options": {"z": "x"}}}})
