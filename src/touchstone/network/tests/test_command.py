"""``touchstone network generate|analyze``: the command, its refusals, and agreement with
the research import's pandas definition of the unit of analysis."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from touchstone.interop.research import load_exports, pooled_outcomes


def _generate(out, clinics=4, clients=8, seed=5):
    stdout = io.StringIO()
    call_command("network", "generate", "--clinics", str(clinics), "--clients-per-clinic",
                 str(clients), "--seed", str(seed), "--out", str(out), stdout=stdout)  # fmt: skip
    return stdout.getvalue()


def test_it_generates_a_network_and_analyzes_it_on_duckdb(tmp_path):
    assert _generate(tmp_path / "net").startswith("4 clinic exports in ")
    stdout = io.StringIO()
    out = tmp_path / "results" / "network.json"
    call_command("network", "analyze", str(tmp_path / "net"), "--out", str(out), stdout=stdout)
    assert "4 clinics analysed on duckdb" in stdout.getvalue()
    result = json.loads(out.read_text())
    assert result["run"]["engine"] == "duckdb"
    assert [c["clinic"] for c in result["network"]["clinics"]] == [
        f"clinic-000{i}" for i in range(1, 5)
    ]
    assert set(result["instruments"]) == {"phq9", "gad7"}


def test_it_agrees_with_the_research_imports_pairs(tmp_path):
    _generate(tmp_path / "net", clinics=3, clients=12, seed=9)
    out = tmp_path / "r.json"
    call_command("network", "analyze", str(tmp_path / "net"), "--out", str(out))
    result = json.loads(out.read_text())
    pooled = pooled_outcomes(load_exports(sorted((tmp_path / "net").iterdir())))
    for instrument in ("phq9", "gad7"):
        overall = result["instruments"][instrument]["overall"]
        assert overall["n"] == pooled["instruments"][instrument]["n"]
        assert overall["counts"] == pooled["instruments"][instrument]["counts"]


def test_it_refuses_bad_input_and_leaves_the_results_file_alone(tmp_path):
    _generate(tmp_path / "net", clinics=2, clients=3)
    manifest = tmp_path / "net" / "clinic-0002" / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "version": 1}))
    out = tmp_path / "r.json"
    out.write_text("earlier results")
    with pytest.raises(CommandError) as refused:
        call_command("network", "analyze", str(tmp_path / "net"), "--out", str(out))
    assert refused.value.returncode == 2
    assert str(refused.value).startswith(
        "nothing analysed: clinic clinic-0002: manifest.json: schema version 1"
    )
    assert out.read_text() == "earlier results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net", "r.json"]
    with pytest.raises(CommandError, match="not empty") as refused:
        _generate(tmp_path / "net")
    assert refused.value.returncode == 2


def test_a_coordinator_registers_reveals_and_analyses_a_stepped_wedge_study(tmp_path):
    draft = {
        "id": "calm", "title": "Calm", "question": "Does massage lower PHQ-9 at 8 weeks?",
        "clinics": ["clinic-0001", "clinic-0002", "clinic-0003"], "periods": 3,
        "start": "2024-01-01", "period_days": 180,
        "primary_outcome": {"instrument_id": "phq9", "weeks": 8, "window_days": 7},
        "power": {"clients_per_clinic_period": 20, "difference": -3, "sigma": 5.5, "icc": 0.05},
    }  # fmt: skip
    (tmp_path / "draft.json").write_text(json.dumps(draft))
    stdout = io.StringIO()
    call_command("network", "stepped-wedge", "register", str(tmp_path / "draft.json"),
                 "--out", str(tmp_path / "study"), stdout=stdout)  # fmt: skip
    assert stdout.getvalue().startswith("study calm registered in ")
    stdout = io.StringIO()
    call_command("network", "stepped-wedge", "reveal", str(tmp_path / "study"), "--on",
                 "2024-01-02", stdout=stdout)  # fmt: skip
    assert stdout.getvalue().splitlines() == [
        f"clinic-000{i}: usual care; its step is not revealed yet" for i in (1, 2, 3)
    ]
    stdout = io.StringIO()
    call_command("network", "stepped-wedge", "reveal", str(tmp_path / "study"), "--on",
                 "2024-12-31", "--clinic", "clinic-0002", stdout=stdout)  # fmt: skip
    assert stdout.getvalue().startswith("clinic-0002: intervention from period ")
    # A second registration into the same directory, and a bad draft, are refused.
    with pytest.raises(CommandError, match="never overwritten") as refused:
        call_command("network", "stepped-wedge", "register", str(tmp_path / "draft.json"),
                     "--out", str(tmp_path / "study"))  # fmt: skip
    assert refused.value.returncode == 2
    (tmp_path / "bad.json").write_text(json.dumps({**draft, "periods": "three"}))
    with pytest.raises(CommandError, match=r"^Number of periods \(periods\)"):
        call_command("network", "stepped-wedge", "register", str(tmp_path / "bad.json"),
                     "--out", str(tmp_path / "other"))  # fmt: skip
    # The synthetic network's own study, analysed by the command.
    call_command("network", "generate", "--clinics", "4", "--clients-per-clinic", "30",
                 "--seed", "2", "--out", str(tmp_path / "net"), "--stepped-wedge",
                 str(tmp_path / "sw"), "--periods", "3", stdout=io.StringIO())  # fmt: skip
    out = tmp_path / "results.json"
    call_command("network", "analyze", str(tmp_path / "net"), "--study", str(tmp_path / "sw"),
                 "--out", str(out), stdout=io.StringIO())  # fmt: skip
    [study] = json.loads(out.read_text())["controlled_studies"]["studies"]
    assert study["id"] == "synthetic-sw" and study["analysis"]["n_clusters"] == 4
    # A study directory inside the network would be read as a clinic: refused.
    with pytest.raises(CommandError, match="where every directory is a clinic"):
        call_command("network", "generate", "--clinics", "2", "--clients-per-clinic", "2",
                     "--seed", "2", "--out", str(tmp_path / "net2"), "--stepped-wedge",
                     str(tmp_path / "net2" / "sw"))  # fmt: skip
