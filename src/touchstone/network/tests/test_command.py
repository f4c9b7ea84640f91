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
