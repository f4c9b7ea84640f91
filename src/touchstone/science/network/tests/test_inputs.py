"""Bad input is refused before anything is analysed, naming the clinic and the file."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from touchstone.science.network.analysis import analyze
from touchstone.science.network.engines import DuckDBEngine
from touchstone.science.network.inputs import (
    POPULATION_COLUMNS,
    NetworkInputError,
    load_network,
)
from touchstone.science.network.tests.factories import score, write_clinic


def _clinic(root: Path, name: str, pid: str, site: str, **kw) -> Path:
    return write_clinic(root, name, {
        "clients": [{"pid": pid, "site": site, "age": "40", "zip3": "021"}],
        "episodes": [{"pid": pid, "episode": f"E{pid}", "start": "2025-01-01", "end": "",
                      "diagnoses": ""}],
        "scores": [score(pid, 1, "2025-01-01", 15), score(pid, 2, "2025-03-01", 5)],
    }, **kw)  # fmt: skip


def test_it_reads_a_network_of_good_exports(tmp_path):
    _clinic(tmp_path, "alpha", "P1", "S1")
    _clinic(tmp_path, "beta", "P2", "S2")
    network = load_network(tmp_path)
    assert [(c.name, c.site) for c in network.clinics] == [("alpha", "S1"), ("beta", "S2")]
    assert network.clinics[0].counts == {"clients": 1, "episodes": 1, "scores": 2, "visits": 0,
                                         "cortisol": 0, "hrv": 0, "sleep": 0,
                                         "study_periods": 0}  # fmt: skip
    assert network.population == (*POPULATION_COLUMNS, "tier")


def test_it_refuses_a_clinic_without_a_manifest(tmp_path):
    _clinic(tmp_path, "alpha", "P1", "S1")
    (_clinic(tmp_path, "beta", "P2", "S2") / "manifest.json").unlink()
    with pytest.raises(NetworkInputError, match=r"^clinic beta: manifest.json: missing"):
        load_network(tmp_path)


@pytest.mark.parametrize("version", [1, 2, 7, "5", True])
def test_it_refuses_another_schema_version(tmp_path, version):
    # Before 3 no mode and no checksums; 6 is from a later release.
    _clinic(tmp_path, "alpha", "P1", "S1", version=version)
    with pytest.raises(
        NetworkInputError, match=rf"clinic alpha: manifest.json: schema version {version!r};"
    ):
        load_network(tmp_path)


def test_it_refuses_a_pseudonym_in_two_clinics(tmp_path):
    _clinic(tmp_path, "alpha", "P1", "S1")
    _clinic(tmp_path, "beta", "P1", "S2")
    with pytest.raises(
        NetworkInputError,
        match=r"clinic beta: clients.parquet: pid P1 is also in clinic alpha's clients.parquet",
    ):
        load_network(tmp_path)


def test_it_refuses_a_short_copy(tmp_path):
    folder = _clinic(tmp_path, "alpha", "P1", "S1")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["counts"]["scores"] = 3
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(NetworkInputError, match=r"clinic alpha: scores.parquet: 2 rows, the "):
        load_network(tmp_path)


def test_it_refuses_a_missing_column(tmp_path):
    folder = _clinic(tmp_path, "alpha", "P1", "S1")
    with duckdb.connect() as con:
        path = str(folder / "scores.parquet")
        con.read_parquet(path).select("pid, instrument, date, total, severity").write_parquet(
            str(folder / "short.parquet")
        )
    (folder / "short.parquet").replace(folder / "scores.parquet")
    with pytest.raises(NetworkInputError, match=r"clinic alpha: scores.parquet: column 'seq' is m"):
        load_network(tmp_path)


def test_it_refuses_a_damaged_or_missing_table(tmp_path):
    folder = _clinic(tmp_path, "alpha", "P1", "S1")
    (folder / "visits.parquet").write_bytes(b"not parquet")
    with pytest.raises(NetworkInputError, match=r"clinic alpha: visits.parquet: not a Parquet"):
        load_network(tmp_path)
    (folder / "visits.parquet").unlink()
    with pytest.raises(NetworkInputError, match=r"clinic alpha: visits.parquet: missing"):
        load_network(tmp_path)


def test_it_refuses_an_empty_directory_and_an_impossible_total(tmp_path):
    with pytest.raises(NetworkInputError, match="no clinic export"):
        load_network(tmp_path)
    write_clinic(tmp_path, "alpha", {
        "clients": [{"pid": "P1", "site": "S1", "age": "40", "zip3": ""}],
        "scores": [score("P1", 1, "2025-01-01", 28)],
    })  # fmt: skip
    engine = DuckDBEngine()
    with pytest.raises(
        NetworkInputError, match=r"clinic alpha: scores.parquet: a phq9 total of 28"
    ):
        analyze(load_network(tmp_path), engine)
    engine.close()


def test_it_refuses_a_version_3_without_mode_or_checksums(tmp_path):
    # What the unreleased network branch wrote as "version 3": seq and therapist, no mode.
    folder = _clinic(tmp_path, "alpha", "P1", "S1")
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "version": 3, "mode": None}))
    with pytest.raises(NetworkInputError, match=r"clinic alpha: manifest.json: mode None is not"):
        load_network(tmp_path)
    del manifest["sha256"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(NetworkInputError, match=r"clinic alpha: manifest.json: no SHA-256"):
        load_network(tmp_path)


def test_it_refuses_a_file_changed_since_the_export(tmp_path):
    _clinic(tmp_path, "alpha", "P1", "S1")
    folder = _clinic(tmp_path, "beta", "P2", "S2")
    with duckdb.connect() as con:
        con.read_parquet(str(folder / "scores.parquet")).filter("seq = 1").write_parquet(
            str(folder / "one.parquet")
        )
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["counts"]["scores"] = 1  # the counts agree: only the checksum tells
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "one.parquet").replace(folder / "scores.parquet")
    with pytest.raises(
        NetworkInputError, match=r"^clinic beta: scores.parquet: does not match the manifest's"
    ):
        load_network(tmp_path)


def test_it_reads_versions_3_to_5_without_the_columns_and_tables_they_lack(tmp_path):
    _clinic(tmp_path, "alpha", "P1", "S1", version=3)
    _clinic(tmp_path, "beta", "P2", "S2", version=4)
    _clinic(tmp_path, "delta", "P4", "S4", version=5)
    _clinic(tmp_path, "gamma", "P3", "S3")
    network = load_network(tmp_path)
    body = ("clients", "episodes", "scores", "visits", "cortisol", "hrv", "sleep")
    assert [(c.version, c.tables) for c in network.clinics] == [
        (3, ("clients", "episodes", "scores", "visits")),
        (4, body),
        (5, body),
        (6, (*body, "study_periods")),
    ]
    assert "seq" not in {c for c, _, _ in network.clinics[1].columns("scores")}
    assert "tier" not in {c for c, _, _ in network.clinics[2].columns("clients")}
    assert "tier" in {c for c, _, _ in network.clinics[3].columns("clients")}
    assert network.files("cortisol") == [
        tmp_path / n / "cortisol.parquet" for n in ("beta", "delta", "gamma")
    ]
