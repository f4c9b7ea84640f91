import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

HEADER = "in_bed,tried_sleep,sol_min,awakenings,waso_min,final_wake,out_of_bed\n"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def rr_file(tmp_path: Path) -> Path:
    rr = 800 + np.random.default_rng(7).normal(0, 30, 400).round()
    rr[200] = 2600  # one out-of-range beat, to be corrected and counted
    path = tmp_path / "rr.txt"
    path.write_text("rr_ms\n" + "\n".join(str(int(x)) for x in rr) + "\n")
    return path


def test_it_prints_one_json_object_with_the_hrv_contract_keys(rr_file):
    result = json.loads(run("hrv", str(rr_file)))
    for key in ("n_beats", "mean_rr", "mean_hr", "sdnn", "rmssd", "pnn50", "lf", "hf", "lf_hf"):
        assert key in result
    assert result["n_beats"] == 400
    assert result["n_corrected"] == 1
    assert 700 < result["mean_rr"] < 900


def test_it_accepts_the_kubios_artifact_method(rr_file):
    result = json.loads(run("hrv", str(rr_file), "--artifacts", "kubios"))
    assert result["artifact_method"] == "kubios"
    assert result["n_corrected"] >= 1


def test_it_refuses_the_kubios_method_clearly_without_neurokit2(rr_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "neurokit2", None)  # the optional extra is missing
    with pytest.raises(CommandError, match="hrv-reference") as error:
        run("hrv", str(rr_file), "--artifacts", "kubios")
    assert error.value.returncode == 2


def test_it_rejects_a_bad_rr_line_with_exit_code_2(tmp_path):
    path = tmp_path / "rr.txt"
    path.write_text("812\n790\n7 9 0\n")
    with pytest.raises(CommandError, match="line 3: expected one RR interval") as error:
        run("hrv", str(path))
    assert error.value.returncode == 2


def test_it_rejects_a_missing_rr_file_with_exit_code_2(tmp_path):
    with pytest.raises(CommandError, match="no such file") as error:
        run("hrv", str(tmp_path / "absent.txt"))
    assert error.value.returncode == 2


def test_it_prints_one_json_object_per_night(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text(HEADER + "23:00,23:15,20,2,30,06:30,07:00\n22:30,22:40,10,1,5,06:00,06:10\n")
    lines = run("sleep", str(path)).strip().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    # Hand computed (see test_sleep): TIB 480, TST 385, SE 80.21 %, TWT 30
    assert (first["tib_min"], first["tst_min"], first["twt_min"]) == (480, 385, 30)
    assert first["se_pct"] == pytest.approx(80.2083, abs=1e-4)
    assert {"sol_min", "waso_min"} <= first.keys()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("23:00,22:15,20,2,30,06:30,07:00", "row 3: times out of order"),
        ("23:00,23:15,20,-1,30,06:30,07:00", "row 3: number of awakenings -1 is negative"),
        ("23:00,23:15,400,2,60,06:30,07:00", "row 3: minutes to fall asleep plus minutes awake"),
        ("23:00,23:15,20,2,30,6h30,07:00", "row 3: final_wake '6h30' is not a clock time"),
        ("23:00,23:15,twenty,2,30,06:30,07:00", "row 3: sol_min 'twenty' is not a number"),
        ("23:00,23:15,20,1.5,30,06:30,07:00", "row 3: awakenings '1.5' is not a whole number"),
        ("23:00,23:15,20,2,,06:30,07:00", "row 3: waso_min is empty"),
    ],
)
def test_it_names_the_row_of_an_impossible_night_and_exits_2(tmp_path, row, message):
    path = tmp_path / "diary.csv"
    path.write_text(HEADER + "23:00,23:15,20,2,30,06:30,07:00\n" + row + "\n")
    with pytest.raises(CommandError, match=message) as error:
        run("sleep", str(path))
    assert error.value.returncode == 2


def test_it_rejects_a_diary_missing_a_column(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text("in_bed,tried_sleep\n23:00,23:15\n")
    with pytest.raises(CommandError, match="missing column") as error:
        run("sleep", str(path))
    assert error.value.returncode == 2


def test_it_rejects_an_empty_diary(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text(HEADER)
    with pytest.raises(CommandError, match="no nights"):
        run("sleep", str(path))


def test_it_exits_2_with_a_one_line_error_from_the_console_script(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text(HEADER + "23:00,23:15,20,-2,30,06:30,07:00\n")
    script = Path(sys.executable).with_name("touchstone")
    done = subprocess.run(
        [str(script), "sleep", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().count("\n") == 0
    assert "row 2: number of awakenings -2 is negative" in done.stderr
