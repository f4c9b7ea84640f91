"""The command-line contract: `touchstone score`, `change` and `instruments`."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

TOUCHSTONE = Path(sys.executable).with_name("touchstone")


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_the_score_keys_the_contract_promises():
    result = run("score", "phq9", "2", "2", "2", "2", "1", "1", "2", "0", "0")
    assert {"instrument", "total", "severity", "computable", "reason", "risk_flags",
            "subscales"} <= set(result)  # fmt: skip
    # US Core example answers -> 12, moderate [Kroenke-2001]
    assert (result["total"], result["severity"], result["risk_flags"]) == (12, "moderate", [])


def test_it_reports_a_missing_answer_as_not_computable_and_flags_item_9():
    result = run("score", "phq9", "-", "2", "2", "2", "1", "1", "2", "0", "2", "LA6573-5")
    assert result["total"] is None and result["computable"] is False
    assert result["reason"]
    assert result["risk_flags"] == ["phq9-9"]


def test_it_scores_phq15_over_14_items_for_a_man():
    # issue 10 §3: `touchstone score phq15 --sex male 0 1 2 - 0 ...` (item 4: women only).
    answers = ["0", "1", "2", "-", "0", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1"]
    result = run("score", "phq15", "--sex", "male", *answers)
    assert (result["total"], result["computable"]) == (13, True)
    assert result["not_applicable"] == ["phq15-4"] and result["total_range"] == [0, 28]
    female = run("score", "phq15", "--sex", "female", *answers)
    assert (female["total"], female["missing"]) == (None, ["phq15-4"])


def test_it_refuses_item_4_of_phq15_for_a_man_with_exit_status_2():
    answers = ["0", "1", "2", "1"] + ["1"] * 11
    with pytest.raises(CommandError, match="not asked") as err:
        call_command("score", "phq15", "--sex", "male", *answers, stdout=io.StringIO())
    assert err.value.returncode == 2


def test_it_applies_the_nhs_talking_therapies_criteria_on_request():
    default = run("change", "gad7", "--pre", "10", "--post", "6")
    nhs = run("change", "gad7", "--pre", "10", "--post", "6", "--criteria", "nhs-talking-therapies")
    assert (default["reliable_change"], nhs["reliable_change"]) == ("none", "improved")
    assert (nhs["classification"], nhs["cutoff_value"]) == ("recovered", 8.0)


@pytest.mark.parametrize(
    "args",
    [("score", "phq99", "1"), ("score", "phq9", "1", "2"), ("score", "gad7", *["4"] * 7),
     ("change", "phq9", "--pre", "30", "--post", "3"), ("instruments", "nope")],
)  # fmt: skip
def test_it_refuses_invalid_input_with_exit_status_2(args):
    with pytest.raises(CommandError) as err:
        call_command(*args, stdout=io.StringIO())
    assert err.value.returncode == 2
    assert "\n" not in str(err.value)


def test_it_exits_0_and_2_from_the_real_console_script():
    ok = subprocess.run(
        [TOUCHSTONE, "score", "gad2", "1", "2"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["severity"] == "positive screen"  # >= 3 [pubcompare-GAD2]
    bad = subprocess.run(
        [TOUCHSTONE, "score", "gad2", "1", "7"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1


def test_it_prints_the_change_keys_the_contract_promises():
    result = run("change", "phq9", "--pre", "18", "--post", "6")
    assert {"rci", "reliable_change", "classification", "response", "remission"} <= set(result)
    # S_diff = 4.25 * sqrt(1 - .84) * sqrt(2) = 2.404 (instruments.md 3); -12 / 2.404
    assert result["rci"] == pytest.approx(-4.991, abs=0.001)
    assert (result["reliable_change"], result["classification"]) == ("improved", "recovered")
    assert (result["response"], result["remission"]) == (True, False)


def test_it_accepts_caller_supplied_reliability():
    result = run("change", "pss10", "--pre", "30", "--post", "10", "--reliability", "0.85",
                 "--sd", "6.4")  # fmt: skip
    assert result["reliable_change"] == "improved"


def test_it_lists_instruments_with_licence_status():
    listing = run("instruments")["instruments"]
    by_id = {i["id"]: i for i in listing}
    assert by_id["phq9"]["licence"] == "free"
    assert by_id["epds"]["licence"] == "licensed" and not by_id["epds"]["text_included"]
    assert by_id["rating-mood"]["validated"] is False
    assert len(by_id) == 16


def test_it_lists_one_instruments_items_in_score_order():
    detail = run("instruments", "phq9")
    link_ids = [i["linkId"] for i in detail["item_list"]]
    assert link_ids == [f"phq9-{n}" for n in range(1, 10)] + ["phq9-difficulty"]
    assert [i["position"] for i in detail["item_list"]] == list(range(1, 11))
    assert detail["risk_items"][0]["linkId"] == "phq9-9"


def test_it_scores_a_csv_reporting_bad_rows_by_line(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,q1,q2\na,1,2\nb,3,9\nc,-,1\nd,3,3\n")
    out = tmp_path / "out.csv"
    err = io.StringIO()
    stdout = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("score", "phq2", "--csv", str(src), "--out", str(out), stdout=stdout,
                     stderr=err)  # fmt: skip
    assert failure.value.returncode == 2
    assert "line 3: phq2-2: 9 is out of range 0-3" in err.getvalue()
    summary = json.loads(stdout.getvalue())
    assert (summary["rows"], summary["scored"], summary["rejected"]) == (4, 3, 1)
    lines = out.read_text().splitlines()
    assert lines[0].startswith("line,id,total,severity")
    assert [row.split(",")[:3] for row in lines[1:]] == [["2", "a", "3"], ["4", "c", ""],
                                                        ["5", "d", "6"]]  # fmt: skip


def test_it_scores_a_clean_csv_with_status_0(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("q1,q2\n0,0\n1,1\n")
    out = tmp_path / "out.csv"
    summary = run("score", "gad2", "--csv", str(src), "--out", str(out))
    assert summary["rejected"] == 0
    assert len(out.read_text().splitlines()) == 3


def test_it_lists_the_instruments_available_in_spanish():
    # issue 15 contract: `touchstone instruments --lang es`
    listed = {i["id"] for i in run("instruments", "--lang", "es")["instruments"]}
    assert listed == {"phq9", "phq2", "gad7", "gad2"}


def test_it_prints_phq9_items_and_instructions_in_spanish():
    # issue 15 contract: `touchstone instruments phq9 --lang es` ([PHQ9-es], Pfizer)
    detail = run("instruments", "phq9", "--lang", "es")
    assert detail["language"] == "es" and "note" not in detail
    assert detail["instructions"][0].startswith("Durante las últimas 2 semanas")
    assert detail["item_list"][0]["text"] == "Poco interés o placer en hacer cosas"
    assert detail["item_list"][0]["options"][3]["display"] == "Casi todos los días"


def test_it_says_when_an_instrument_has_no_translation_in_that_language():
    detail = run("instruments", "phq15", "--lang", "es")
    assert detail["language"] == "en" and "available in en only" in detail["note"]
