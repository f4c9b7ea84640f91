"""The synthetic network is deterministic, in the export's format, and passes the checks."""

from __future__ import annotations

import json

from touchstone.science import research_format
from touchstone.science.network.inputs import POPULATION_COLUMNS, load_network
from touchstone.science.network.synthetic import SCORES_PER_CLIENT, generate
from touchstone.science.research_format import TABLES, VERSION, postpartum_bin, read_parquet


def _tables(root):
    return {
        (folder.name, table): read_parquet(folder / f"{table}.parquet")
        for folder in sorted(root.iterdir())
        for table in TABLES
    }


def test_it_generates_the_same_network_from_the_same_seed(tmp_path):
    a = generate(tmp_path / "a", clinics=3, clients_per_clinic=5, seed=7)
    generate(tmp_path / "b", clinics=3, clients_per_clinic=5, seed=7)
    generate(tmp_path / "c", clinics=3, clients_per_clinic=5, seed=8)
    first, second, other = (_tables(tmp_path / x) for x in "abc")
    assert first.keys() == second.keys()
    assert all(first[key].equals(second[key]) for key in first)
    assert not first[("clinic-0001", "scores")].equals(other[("clinic-0001", "scores")])
    assert a.counts["clients"] == 15 and a.counts["scores"] == 15 * SCORES_PER_CLIENT


def test_it_writes_exports_the_network_accepts(tmp_path):
    made = generate(tmp_path, clinics=4, clients_per_clinic=3, seed=1)
    network = load_network(tmp_path)
    assert [c.name for c in network.clinics] == [f"clinic-000{i}" for i in range(1, 5)]
    assert len({c.site for c in network.clinics}) == 4
    manifest = json.loads((tmp_path / "clinic-0001" / "manifest.json").read_text())
    assert manifest["version"] == VERSION
    assert sum(c.counts["visits"] for c in network.clinics) == made.counts["visits"]
    scores = read_parquet(tmp_path / "clinic-0002" / "scores.parquet")
    assert scores["total"].isna().sum() < len(scores) / 4
    phq9 = scores[scores["instrument"] == "phq9"].dropna(subset=["total"])
    assert phq9["total"].between(0, 27).all() and (phq9["severity"] != "").all()


def test_it_generates_the_coded_population_columns_of_the_export(tmp_path):
    generate(tmp_path, clinics=2, clients_per_clinic=400, seed=3)
    assert load_network(tmp_path).population == (*POPULATION_COLUMNS, "tier")
    clients = read_parquet(tmp_path / "clinic-0001" / "clients.parquet").fillna("")
    codes = {
        "tier": research_format.TIER_CODES,
        "sex_at_birth": research_format.SEX_AT_BIRTH,
        "gender_identity": research_format.GENDER_IDENTITY,
        "pronouns": research_format.PRONOUNS,
        "pregnancy_status": research_format.PREGNANCY_STATUS,
        "postpartum_weeks": tuple(label for label, _, _ in research_format.POSTPARTUM_BINS),
        "menopause_status": research_format.MENOPAUSE_STATUS,
    }
    for column, allowed in codes.items():
        values = set(clients[column])
        assert values <= {*allowed, ""}, column
        assert len(values - {""}) >= 2, column  # something to break outcomes down by
    female = clients["sex_at_birth"] == "female"
    assert (clients.loc[~female, ["pregnancy_status", "menopause_status"]] == "").all().all()
    postpartum = clients["pregnancy_status"] == "postpartum"
    assert (clients.loc[postpartum, "postpartum_weeks"] != "").all()
    assert (clients.loc[~postpartum, "postpartum_weeks"] == "").all()
    assert postpartum_bin(0) == "0-6" and postpartum_bin(53) == "53+"
