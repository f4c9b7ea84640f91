"""A stepped-wedge study across the network's clinics: registration (frozen, hashed, seed
sealed), concealed steps revealed only when due, and the pre-specified analysis over the
pooled exports, which finds the effect a synthetic network was built with."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import stat

import numpy as np
import pandas as pd
import pytest

from touchstone.science.network.analysis import analyze
from touchstone.science.network.engines import DuckDBEngine
from touchstone.science.network.inputs import NetworkInputError, load_network
from touchstone.science.network.stepped_wedge import (
    REVEALS,
    SEAL,
    StudyError,
    load_study,
    register,
    study_from_protocol,
)
from touchstone.science.network.synthetic import SECULAR_TREND, generate
from touchstone.science.network.tests.factories import write_clinic
from touchstone.science.registration import sha256_of
from touchstone.science.research_format import read_parquet
from touchstone.science.trials import stepped_wedge as sw
from touchstone.science.trials.randomisation import seed_commitment

SEED = bytes(range(32))
AFTER = dt.date(2030, 1, 1)  # a day after every study of these tests


def draft(**changes):
    base = {
        "id": "calm-2027",
        "title": "Massage added to routine care",
        "question": "Does weekly massage lower PHQ-9 at 8 weeks?",
        "clinics": ["north", "south", "east", "west"],
        "periods": 5,
        "start": "2027-01-04",
        "period_days": 56,
        "notice_days": 14,
        "primary_outcome": {"instrument_id": "phq9", "weeks": 8, "window_days": 7},
        "power": {"clients_per_clinic_period": 10, "difference": -3, "sigma": 5.5, "icc": 0.05},
    }
    return {**base, **changes}


def test_it_registers_a_frozen_hashed_protocol_with_a_sealed_seed(tmp_path):
    study = register(draft(), tmp_path / "calm", seed=SEED)
    saved = json.loads((tmp_path / "calm" / "protocol.json").read_text())
    assert saved["sha256"] == sha256_of(saved["content"]) == study.sha256
    content = study.content
    assert content["clinics"] == ["east", "north", "south", "west"]
    assert content["calendar"]["end"] == "2027-10-10"  # 5 x 56 days from 2027-01-04
    # The power is Hussey & Hughes' for the registered design.
    assert content["power"] == sw.power(4, 5, 10, -3, 5.5, 0.05).to_dict()
    # The seed is sealed apart (owner-only); the protocol carries its commitment only.
    assert content["randomisation"]["seed_sha256"] == seed_commitment(SEED)
    assert SEED.hex() not in (tmp_path / "calm" / "protocol.json").read_text()
    assert stat.S_IMODE((tmp_path / "calm" / SEAL).stat().st_mode) == 0o600
    with pytest.raises(StudyError, match="never overwritten"):
        register(draft(), tmp_path / "calm")
    # A protocol changed after registration no longer matches its hash.
    saved["content"]["periods"] = 4
    (tmp_path / "calm" / "protocol.json").write_text(json.dumps(saved))
    with pytest.raises(StudyError, match="does not match its registered SHA-256"):
        load_study(tmp_path / "calm")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "Calm 2027"}, "^id: 1-40 lower-case"),
        ({"clinics": ["north", "north", "south"]}, "^clinics: each clinic once"),
        ({"clinics": ["north", "south"]}, "^clinics: 4 steps need at least 4 clinics"),
        ({"periods": 1}, r"^Number of periods \(periods\): a whole number of at least 2"),
        ({"start": "4 January"}, "^start: a date"),
        ({"period_days": 3}, r"^Period length in days \(period_days\)"),
        ({"primary_outcome": {"instrument_id": "pss10", "weeks": 8, "window_days": 7}},
         "^primary_outcome.instrument_id: one of phq9, gad7"),
        ({"primary_outcome": {"instrument_id": "phq9", "weeks": 1, "window_days": 7}},
         "^primary_outcome.window_days: shorter than the time point"),
        ({"power": {"clients_per_clinic_period": 10, "difference": -3, "sigma": 5.5,
                    "icc": 1.2}}, "^power: the ICC must be in"),
    ],
)  # fmt: skip
def test_it_refuses_a_draft_with_the_field_at_fault(tmp_path, change, message):
    with pytest.raises(StudyError, match=message):
        register(draft(**change), tmp_path / "calm")
    assert not (tmp_path / "calm").exists()  # nothing half-registered


def test_a_clinic_learns_its_step_only_when_it_is_due(tmp_path):
    study = register(draft(), tmp_path / "calm", seed=SEED)
    crossing = sw.schedule(SEED, study.clinics, 5)
    clinic = min(crossing, key=lambda c: (crossing[c], c))
    first_step = study.period_start(crossing[clinic])  # 14 days' notice before this day
    assert study.reveal(first_step - dt.timedelta(days=15), clinic) == {clinic: None}
    assert study.reveal(first_step - dt.timedelta(days=14), clinic) == {clinic: crossing[clinic]}
    # On that day every clinic of a later step still only learns "not yet".
    everyone = study.reveal(first_step - dt.timedelta(days=14))
    assert {c for c, p in everyone.items() if p} == {
        c for c, p in crossing.items() if p == crossing[clinic]
    }
    log = [json.loads(line) for line in (tmp_path / "calm" / REVEALS).read_text().splitlines()]
    revealed = {c: p for c, p in everyone.items() if p}
    assert [entry["revealed"] for entry in log] == [{}, {clinic: crossing[clinic]}, revealed]
    with pytest.raises(StudyError, match="clinic 'mars' does not take part"):
        study.reveal(first_step, "mars")
    # The whole schedule stays sealed until the last period has ended.
    with pytest.raises(StudyError, match=r"sealed until its last period ends \(2027-10-10\)"):
        study.schedule(dt.date(2027, 10, 10))
    assert study.schedule(dt.date(2027, 10, 11)) == crossing
    # A clinic holds the protocol only: periods, never the schedule.
    clinic_copy = study_from_protocol(tmp_path / "calm" / "protocol.json")
    assert clinic_copy.period_of(dt.date(2027, 1, 3)) is None
    assert [clinic_copy.period_of(dt.date(2027, 1, 4) + dt.timedelta(days=d))
            for d in (0, 55, 56, 279)] == [1, 1, 2, 5]  # fmt: skip
    assert clinic_copy.period_of(dt.date(2027, 10, 11)) is None
    (tmp_path / "calm" / SEAL).write_text(json.dumps({"seed_hex": bytes(32).hex()}))
    with pytest.raises(StudyError, match="not the seed the protocol registered"):
        study.schedule(AFTER)


@pytest.fixture(scope="module")
def network_with_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("sw")
    generate(root / "net", clinics=12, clients_per_clinic=60, seed=3,
             stepped_wedge=root / "study", periods=5, effect=-3.0)  # fmt: skip
    return root


def _expected_rows(root, study):
    """The analysis's rows rebuilt with pandas from the limited data set's dates: per study
    episode, the PHQ-9 nearest 56 days after its start within 7 days (earlier on a tie)."""
    rows = []
    for folder in sorted((root / "net").iterdir()):
        episodes = read_parquet(folder / "episodes.parquet")
        scores = read_parquet(folder / "scores.parquet")
        periods = read_parquet(folder / "study_periods.parquet")
        merged = periods.merge(episodes, on="episode").merge(scores, on="pid")
        merged = merged[(merged["instrument"] == "phq9") & merged["total"].notna()]
        day = (pd.to_datetime(merged["date"]) - pd.to_datetime(merged["start"])).dt.days
        merged = merged.assign(day=day, distance=(day - 56).abs())
        merged = merged[merged["distance"] <= 7].sort_values(["distance", "day", "seq"])
        for row in merged.drop_duplicates("episode").itertuples():
            rows.append((folder.name, int(row.period), int(row.total)))
    return rows


def test_it_finds_the_effect_the_network_was_built_with(network_with_study):
    root = network_with_study
    study = load_study(root / "study")
    network = load_network(root / "net")
    engine = DuckDBEngine()
    result = analyze(network, engine, study=study, on=AFTER)
    engine.close()
    [section] = result["controlled_studies"]["studies"]
    assert result["controlled_studies"]["available"] is True
    assert section["protocol_sha256"] == study.sha256
    derived = hashlib.sha256(b"touchstone-network-generate/3").digest()
    crossing = sw.schedule(derived, study.clinics, 5)
    assert {s["clinic"]: s["crosses_over_in_period"] for s in section["schedule"]} == crossing
    analysis = section["analysis"]
    # Built with -3 PHQ-9 points under the intervention (and a secular trend of
    # SECULAR_TREND a period, which the period effects absorb).
    assert SECULAR_TREND != 0
    assert analysis["ci_low"] < -3.0 < analysis["ci_high"]
    assert abs(analysis["estimate"] + 3.0) < 2 * analysis["se"]
    assert analysis["n_clusters"] == 12
    # The same model on rows rebuilt independently from the files.
    rows = _expected_rows(root, study)
    assert section["analysed"] == analysis["n_observations"] == len(rows)
    expected = sw.analyse([t for _, _, t in rows], [c for c, _, _ in rows],
                          [p for _, p, _ in rows],
                          [int(p >= crossing[c]) for c, p, _ in rows])  # fmt: skip
    assert analysis["estimate"] == pytest.approx(expected.estimate, abs=1e-9)
    assert analysis["se"] == pytest.approx(expected.se, abs=1e-9)
    # The flow: every clinic-period, its condition, episodes and outcomes.
    assert len(section["flow"]) == 12 * 5
    assert sum(cell["with_outcome"] for cell in section["flow"]) == len(rows)
    assert sum(cell["episodes"] for cell in section["flow"]) == section["episodes"] == 720
    assert all((cell["condition"] == "intervention") == (cell["period"] >= crossing[cell["clinic"]])
               for cell in section["flow"])  # fmt: skip
    assert np.isclose(
        np.mean([t for c, p, t in rows if c == "clinic-0001" and p == 1]),
        next(x["mean_outcome"] for x in section["flow"]
             if (x["clinic"], x["period"]) == ("clinic-0001", 1)),
    )  # fmt: skip


def test_without_a_study_the_section_says_so(network_with_study):
    engine = DuckDBEngine()
    result = analyze(load_network(network_with_study / "net"), engine)
    engine.close()
    assert result["controlled_studies"]["available"] is False


def _clinic(root, name, site, *, studies=None, periods=()):
    return write_clinic(root, name, {
        "clients": [{"pid": f"P{name}", "site": site, "age": "40", "zip3": ""}],
        "episodes": [{"pid": f"P{name}", "episode": f"E{name}", "start": "2027-01-10",
                      "end": None, "diagnoses": ""}],
        "study_periods": [{"study": "calm-2027", "episode": f"E{name}", "period": p}
                          for p in periods],
    }, studies=studies)  # fmt: skip


@pytest.mark.parametrize(
    ("clinics", "message"),
    [
        # a taking-part clinic exported without the study
        ([("north", None, ())], "clinic north: manifest.json: no periods of study calm-2027"),
        # under another protocol than the registered one
        ([("north", {"calm-2027": "0" * 64}, (1,))],
         "clinic north: manifest.json: study calm-2027 exported under protocol SHA-256 "
         "000000000000…"),
        # periods of the study from a clinic the protocol does not list
        ([("mars", "registered", (1,))],
         "clinic mars: study_periods.parquet: has periods of study calm-2027, whose registered "
         "protocol does not list this clinic"),
        ([("north", "registered", (6,))],
         "clinic north: study_periods.parquet: a period outside 1-5"),
    ],
)  # fmt: skip
def test_it_refuses_study_data_that_do_not_fit_the_protocol(tmp_path, clinics, message):
    study = register(draft(), tmp_path / "calm", seed=SEED)
    for i, (name, studies, periods) in enumerate(clinics):
        if studies == "registered":
            studies = {study.id: study.sha256}
        _clinic(tmp_path / "net", name, f"S{i}", studies=studies, periods=periods)
    engine = DuckDBEngine()
    with pytest.raises(NetworkInputError, match=f"^{message}"):
        analyze(load_network(tmp_path / "net"), engine, study=study, on=AFTER)
    engine.close()


def test_it_refuses_to_unseal_the_schedule_before_the_study_ends(tmp_path):
    study = register(draft(), tmp_path / "calm", seed=SEED)
    _clinic(tmp_path / "net", "north", "S1", studies={study.id: study.sha256}, periods=(1,))
    engine = DuckDBEngine()
    with pytest.raises(StudyError, match="sealed until its last period ends"):
        analyze(load_network(tmp_path / "net"), engine, study=study, on=dt.date(2027, 5, 1))
    engine.close()
