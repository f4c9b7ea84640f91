"""The network's analyses on hand-built exports: the unit of analysis, every statistic."""

from __future__ import annotations

import json

import numpy as np
import pytest

from touchstone.science.change_batch import CLASSES, change_batch
from touchstone.science.instruments import load_instrument
from touchstone.science.meta.models import rma
from touchstone.science.network.analysis import (
    age_band,
    analyze,
    benchmark,
    dose_label,
    write_results,
)
from touchstone.science.network.engines import DuckDBEngine
from touchstone.science.network.inputs import POPULATION_COLUMNS, load_network
from touchstone.science.network.tests.factories import score, visit, write_clinic
from touchstone.science.outcomes import prepost_hedges_g


def _episode(pid: str, start: str, end: str = "") -> dict:
    return {"pid": pid, "episode": f"E{pid}", "start": start, "end": end, "diagnoses": ""}


def _client(pid: str, site: str, age: str = "40") -> dict:
    return {"pid": pid, "site": site, "age": age, "zip3": "021"}


def _simple_clinic(root, name, site, pairs):
    pids = [f"{name}{i}" for i in range(len(pairs))]
    return write_clinic(root, name, {
        "clients": [_client(p, site, "70") for p in pids],
        "episodes": [_episode(p, "2025-01-01") for p in pids],
        "scores": [s for p, (a, b) in zip(pids, pairs, strict=True)
                   for s in (score(p, 1, "2025-01-01", a), score(p, 2, "2025-03-01", b))],
    })  # fmt: skip


BETA = [(15, 5), (12, 10), (20, 6)]
GAMMA = [(10, 4), (14, 9), (22, 11), (16, 16)]


@pytest.fixture
def network(tmp_path):
    write_clinic(tmp_path, "alpha", {
        "clients": [_client("P1", "S1", "34"), _client("P2", "S1", "90+"), _client("P3", "S1")],
        "episodes": [_episode("P1", "2025-01-10", "2025-06-30"), _episode("P2", "2025-01-10"),
                     _episode("P3", "2025-01-10")],
        "scores": [
            # P1: 30 days before the start is inside the window; on a tie the lower seq is
            # the baseline; a score after the episode's end is not its follow-up.
            score("P1", 1, "2024-12-11", 20), score("P1", 2, "2024-12-11", 10),
            score("P1", 3, "2025-03-01", 12), score("P1", 4, "2025-07-01", 0),
            # P2: 31 days before is outside; 30 days after is the baseline; a score on the
            # baseline's day is not a follow-up; GAD-7 alone makes no pair.
            score("P2", 1, "2024-12-10", 25), score("P2", 2, "2025-02-09", 18),
            score("P2", 3, "2025-02-09", 3), score("P2", 4, "2025-04-01", 8),
            score("P2", 5, "2025-05-01", 10, "gad7"), score("P2", 6, "2025-06-01", None),
            # P3: a baseline and nothing after it.
            score("P3", 1, "2025-01-10", 11),
        ],
        "visits": [
            visit("P1", "EP1", "T1", "2025-01-10"), visit("P1", "EP1", "T1", "2025-01-17"),
            visit("P1", "EP1", "T2", "2025-01-24", "deep_tissue"),
            visit("P2", "EP2", "T2", "2025-01-10", "swedish"),
            visit("P2", "EP2", "T1", "2025-01-17", "deep_tissue"),
            visit("P3", "", "T1", "2025-01-10"),  # not linked to an episode: not a dose
        ],
    })  # fmt: skip
    _simple_clinic(tmp_path, "beta", "S2", BETA)
    _simple_clinic(tmp_path, "gamma", "S3", GAMMA)
    return load_network(tmp_path)


@pytest.fixture
def result(network):
    engine = DuckDBEngine()
    try:
        yield analyze(network, engine)
    finally:
        engine.close()


def _counts(pairs):
    labels = change_batch(load_instrument("phq9"), *zip(*pairs, strict=True)).labels()
    return {c: labels.count(c) for c in CLASSES}


def test_it_pairs_baseline_and_follow_up_as_the_dashboard_does(result):
    phq9 = result["instruments"]["phq9"]
    alpha = next(r for r in phq9["by_clinic"] if r["clinic"] == "alpha")
    assert alpha["n"] == 2
    assert (alpha["mean_pre"], alpha["mean_post"]) == ((20 + 18) / 2, (12 + 8) / 2)
    assert alpha["counts"] == _counts([(20, 12), (18, 8)])
    assert result["instruments"]["gad7"]["overall"] == {"n": 0}
    assert phq9["overall"]["n"] == 2 + len(BETA) + len(GAMMA)
    assert phq9["overall"]["counts"] == _counts([(20, 12), (18, 8), *BETA, *GAMMA])
    assert result["network"]["counts"] == {"clients": 10, "episodes": 10, "scores": 25,
                                           "visits": 6, "cortisol": 0, "hrv": 0,
                                           "sleep": 0, "study_periods": 0}  # fmt: skip


def test_it_takes_the_main_therapist_modality_and_dose_of_each_episode(result):
    phq9 = result["instruments"]["phq9"]
    # P1: T1 twice, T2 once; P2: one each, the tie goes to T1 (sort order).
    assert [(r["clinic"], r["therapist"], r["n"]) for r in phq9["by_therapist"]] == [
        ("alpha", "T1", 2), ("beta", "", 3), ("gamma", "", 4)]  # fmt: skip
    assert [(r["modality"], r["n"]) for r in phq9["by_modality"]] == [
        ("", 7), ("deep_tissue", 1), ("swedish", 1)]  # fmt: skip
    assert [(r["visits"], r["n"]) for r in phq9["by_dose"]] == [("no visits", 7), ("1-3", 2)]
    assert [(r["age"], r["n"]) for r in phq9["by_age"]] == [
        ("30-44", 1), ("65+", 8)]  # fmt: skip


def test_it_computes_each_clinics_effect_as_the_science_core_does(result):
    by_clinic = {r["clinic"]: r for r in result["instruments"]["phq9"]["by_clinic"]}
    assert by_clinic["alpha"]["effect"] is None  # two pairs: no effect size
    for name, pairs in (("beta", BETA), ("gamma", GAMMA)):
        pre, post = (np.array(x, dtype=float) for x in zip(*pairs, strict=True))
        expected = prepost_hedges_g(pre, post, higher_is_better=False)
        effect = by_clinic[name]["effect"]
        assert effect["g"] == pytest.approx(expected.g, rel=1e-12)
        assert effect["variance"] == pytest.approx(expected.variance, rel=1e-12)
        assert effect["r"] == pytest.approx(expected.r, rel=1e-12)


def test_it_pools_the_clinics_with_reml(result):
    pooled = result["instruments"]["phq9"]["pooled"]
    assert (pooled["clinics"], pooled["excluded"]) == (["beta", "gamma"], ["alpha"])
    by_clinic = {r["clinic"]: r for r in result["instruments"]["phq9"]["by_clinic"]}
    effects = [by_clinic[c]["effect"] for c in ("beta", "gamma")]
    expected = rma([e["g"] for e in effects], [e["variance"] for e in effects], method="REML")
    assert pooled["result"] == expected.to_dict()
    assert result["controlled_studies"]["available"] is False


def test_it_benchmarks_clinics_against_the_network_quartiles():
    rows = [
        {"clinic": f"c{i}", "site": f"S{i}", "n": n, "mean_gain": gain, "effect": None,
         "reliably_improved": {"proportion": p}, "response": None, "remission": None}
        for i, (n, p, gain) in enumerate(
            [(20, 0.2, 1.0), (11, 0.4, 2.0), (30, 0.6, 3.0), (12, 0.8, 4.0), (50, 1.0, 5.0),
             (10, 0.0, 9.0)])  # too few pairs: not benchmarked
    ]  # fmt: skip
    out = benchmark(rows)
    # R: quantile(c(.2, .4, .6, .8, 1), c(.25, .5, .75)) -> 0.4 0.6 0.8 (type 7)
    assert out["network"]["reliably_improved"] == pytest.approx(
        {"clinics": 5, "q1": 0.4, "median": 0.6, "q3": 0.8}
    )
    assert out["network"]["response"] is None
    assert [e["reliably_improved"]["quartile"] for e in out["by_clinic"]] == [1, 1, 2, 3, 4]
    assert [e["mean_gain"]["quartile"] for e in out["by_clinic"]] == [1, 1, 2, 3, 4]
    assert "c5" not in [e["clinic"] for e in out["by_clinic"]]


def test_it_labels_dose_and_age_bands():
    assert [dose_label(v) for v in ("0", "1", "3", "4", "12", "13", "40")] == [
        "no visits", "1-3", "1-3", "4-6", "10-12", "13+", "13+"]  # fmt: skip
    assert [age_band(a) for a in ("", "17", "18", "44", "45", "65", "90+")] == [
        "unknown", "under 18", "18-29", "30-44", "45-64", "65+", "65+"]  # fmt: skip


def test_it_breaks_outcomes_down_by_the_exports_population_columns(tmp_path):
    # beta exports version 6 (the fee tier), gamma version 5 (no tier: counted under blank)
    for name, site, pairs, version in (("beta", "S2", BETA, 6), ("gamma", "S3", GAMMA, 5)):
        pids = [f"{name}{i}" for i in range(len(pairs))]
        sexes = ["female"] * (len(pairs) - 1) + ["male"]
        weeks = ["0-6"] + [""] * (len(pairs) - 1)
        write_clinic(tmp_path, name, {
            "clients": [{**_client(p, site), "sex_at_birth": s, "postpartum_weeks": w,
                         "tier": "1-49"}
                        for p, s, w in zip(pids, sexes, weeks, strict=True)],
            "episodes": [_episode(p, "2025-01-01") for p in pids],
            "scores": [s for p, (a, b) in zip(pids, pairs, strict=True)
                       for s in (score(p, 1, "2025-01-01", a), score(p, 2, "2025-03-01", b))],
        }, version=version)  # fmt: skip
    network = load_network(tmp_path)
    assert network.population == (*POPULATION_COLUMNS, "tier")
    engine = DuckDBEngine()
    phq9 = analyze(network, engine)["instruments"]["phq9"]
    engine.close()
    assert [(r["sex_at_birth"], r["n"]) for r in phq9["by_sex_at_birth"]] == [
        ("female", 5), ("male", 2)]  # fmt: skip
    assert [(r["postpartum_weeks"], r["n"]) for r in phq9["by_postpartum_weeks"]] == [
        ("", 5), ("0-6", 2)]  # fmt: skip
    assert [(r["menopause_status"], r["n"]) for r in phq9["by_menopause_status"]] == [("", 7)]
    assert [(r["tier"], r["n"]) for r in phq9["by_tier"]] == [("", len(GAMMA)), ("1-49", len(BETA))]


def test_it_writes_results_whole_or_not_at_all(tmp_path, result):
    out = tmp_path / "out" / "results.json"
    out.parent.mkdir()
    out.write_text("previous")
    with pytest.raises(TypeError):
        write_results({"bad": object()}, out)
    assert out.read_text() == "previous"
    assert [p.name for p in out.parent.iterdir()] == ["results.json"]
    write_results(result, out)
    assert json.loads(out.read_text())["format"] == "touchstone-network-results"


def test_its_sql_pairs_are_science_episodes_pairs_on_random_episodes(tmp_path):
    # Dense random scores (same-day ties, scores before the window and after the end, blank
    # totals, open and closed episodes, a client with two episodes) for PHQ-9 and GAD-7: the
    # SQL pairing is episode_pairs with the recall-period rule, episode by episode.
    from touchstone.science.episodes import episode_pairs
    from touchstone.science.network import queries

    rng = np.random.default_rng(16)
    day0 = np.datetime64("2025-01-01")
    clients, episodes, scores = [], [], []
    for i in range(60):
        pid = f"P{i}"
        clients.append(_client(pid, "S1"))
        starts = [int(rng.integers(0, 60))]
        if i % 7 == 0:
            starts.append(starts[0] + 120)
        for k, start in enumerate(starts):
            end = "" if rng.random() < 0.3 else str(day0 + start + int(rng.integers(0, 90)))
            episodes.append({"pid": pid, "episode": f"E{i}-{k}", "start": str(day0 + start),
                             "end": end, "diagnoses": ""})  # fmt: skip
        for seq in range(1, int(rng.integers(1, 12)) + 1):
            instrument = "phq9" if rng.random() < 0.6 else "gad7"
            total = None if rng.random() < 0.05 else int(rng.integers(0, 22))
            day = str(day0 + int(rng.integers(-40, 220)))
            scores.append(score(pid, seq, day, total, instrument))
    scores.sort(key=lambda s: (s["pid"], s["date"], s["seq"]))
    for n, row in enumerate(scores):  # seq in time order, as the export numbers it
        row["seq"] = n
    write_clinic(tmp_path, "alpha", {"clients": clients, "episodes": episodes, "scores": scores})
    network = load_network(tmp_path)
    engine = DuckDBEngine()
    analyze(network, engine)
    got = {(e, i): (pre, post) for e, i, pre, post in
           engine.rows("SELECT episode, instrument, pre, post FROM pairs")}  # fmt: skip
    engine.close()
    want = {}
    client_no = {c["pid"]: n for n, c in enumerate(clients)}
    for instrument in ("phq9", "gad7"):
        rows = [s for s in scores if s["instrument"] == instrument and s["total"] is not None]
        days = np.array([s["date"] for s in rows], dtype="datetime64[D]")
        pairs = episode_pairs(
            [client_no[e["pid"]] for e in episodes],
            np.array([e["start"] for e in episodes], dtype="datetime64[D]"),
            [np.datetime64(e["end"]) if e["end"] else None for e in episodes],
            [client_no[s["pid"]] for s in rows], days, [s["total"] for s in rows],
            min_days=load_instrument(instrument).min_followup_days, until=days.max(),
        )  # fmt: skip
        for k in np.flatnonzero(pairs.paired):
            want[(episodes[k]["episode"], instrument)] = (int(pairs.pre[k]), int(pairs.post[k]))
    assert len(want) > 20 and got == want
    assert queries.pairs(["phq9"], (), {"phq9": 14}).count("INTERVAL 14 DAY") == 1


def _days(date: str) -> int:
    """Days since 2025-01-01 (the episodes' start in :func:`_kinds`: Safe Harbor's day 0)."""
    return int((np.datetime64(date) - np.datetime64("2025-01-01")).astype(int))


def _kinds(root, name, site, pairs, *, version, mode):
    """A clinic of ``pairs`` as an export of ``version`` in ``mode``, a same-day tie included
    (the lower seq, in file order for versions without seq, is the baseline)."""
    pids = [f"{name}{i}" for i in range(len(pairs))]
    scores = [s for p, (a, b) in zip(pids, pairs, strict=True)
              for s in (score(p, 1, "2025-01-01", a), score(p, 2, "2025-01-01", 27),
                        score(p, 3, "2025-03-01", b))]  # fmt: skip
    for row in scores:
        row["day"] = _days(row["date"])
    episodes = [{**_episode(p, "2025-01-01"), "start_year": 2025, "start_day": 0, "end_day": None}
                for p in pids]  # fmt: skip
    return write_clinic(root, name, {
        "clients": [_client(p, site, "70") for p in pids], "episodes": episodes,
        "scores": scores,
    }, version=version, mode=mode)  # fmt: skip


def test_versions_3_to_6_and_both_modes_pool_alike(tmp_path):
    from touchstone.science.research_format import LIMITED, SAFE_HARBOR

    mixed, current = tmp_path / "mixed", tmp_path / "current"
    kinds = [(3, LIMITED), (4, SAFE_HARBOR), (5, SAFE_HARBOR), (6, SAFE_HARBOR)]
    for i, (version, mode) in enumerate(kinds):
        pairs = [BETA, GAMMA, [(18, 2), (9, 9)], [(12, 3), (7, 8)]][i]
        _kinds(mixed, f"c{i}", f"S{i}", pairs, version=version, mode=mode)
        _kinds(current, f"c{i}", f"S{i}", pairs, version=6, mode=LIMITED)
    results = []
    for root in (mixed, current):
        engine = DuckDBEngine()
        result = analyze(load_network(root), engine)
        engine.close()
        results.append(result)
    # Only the version 3 clinic differs: it has no body tables.
    assert results[0]["body"].pop("clinics_with_body_tables") == ["c1", "c2", "c3"]
    assert results[1]["body"].pop("clinics_with_body_tables") == ["c0", "c1", "c2", "c3"]
    for result in results:
        del result["run"], result["network"]["clinics"]
    assert results[0] == results[1]
    phq9 = results[0]["instruments"]["phq9"]
    # The baseline of each episode is its seq-1 score (not the 27 of the same day).
    assert phq9["overall"]["mean_pre"] == pytest.approx(np.mean([a for a, _ in BETA + GAMMA]
                                                                + [18, 9, 12, 7]))  # fmt: skip


def test_the_body_before_and_after_a_visit_and_the_first_and_last_week_of_sleep(tmp_path):
    def sample(pid, date, timing, value, specimen="saliva"):
        return {"pid": pid, "episode": f"E{pid}", "date": date, "analyte": "cortisol",
                "specimen": specimen, "value": value, "unit": "nmol/L",
                "minutes_since_waking": 60, "timing": timing}  # fmt: skip

    def night(pid, date, se):
        return {"pid": pid, "date": date, "sol_min": 10, "awakenings": 1, "waso_min": 20,
                "quality": 3, "tib_min": 480.0, "tst_min": 4.8 * se, "se_pct": se,
                "twt_min": 480 - 4.8 * se, "entered": "portal"}  # fmt: skip

    nights = [night("P1", f"2025-01-{d:02d}", 80.0 + d % 2) for d in range(1, 8)]
    nights += [night("P1", f"2025-02-{d:02d}", 90.5) for d in range(1, 8)]
    nights += [night("P2", f"2025-01-{d:02d}", 70.0) for d in range(1, 14)]  # 13: too few
    write_clinic(tmp_path, "alpha", {
        "clients": [_client("P1", "S1"), _client("P2", "S1")],
        "episodes": [_episode("P1", "2025-01-01"), _episode("P2", "2025-01-01")],
        "cortisol": [
            sample("P1", "2025-01-10", "before", 10.0), sample("P1", "2025-01-10", "after", 8.0),
            sample("P1", "2025-01-24", "before", 12.25), sample("P1", "2025-01-24", "after", 9.0),
            # two samples after one visit: which pairs with the one before is unknown
            sample("P2", "2025-01-10", "before", 15.0), sample("P2", "2025-01-10", "after", 9.0),
            sample("P2", "2025-01-10", "after", 11.0),
            # serum is another measure than saliva
            sample("P2", "2025-01-17", "before", 300.0, "serum"),
            sample("P2", "2025-01-17", "after", 280.0, "serum"),
            {**sample("P2", "2025-01-20", "", 14.0), "episode": ""},  # not tied to a visit
        ],
        "sleep": nights,
    })  # fmt: skip
    engine = DuckDBEngine()
    body = analyze(load_network(tmp_path), engine)["body"]
    engine.close()
    saliva, serum = body["visit_change"]
    assert (saliva["specimen"], serum["specimen"]) == ("saliva", "serum")
    changes = np.array([8.0 - 10.0, 9.0 - 12.25])
    overall = saliva["overall"]
    assert overall["n"] == 2
    assert overall["mean_before"] == pytest.approx(11.125)
    assert overall["mean_change"] == pytest.approx(changes.mean())
    assert overall["sd_change"] == pytest.approx(changes.std(ddof=1))
    from scipy import stats

    half = stats.t.ppf(0.975, 1) * changes.std(ddof=1) / np.sqrt(2)
    assert overall["ci_low"] == pytest.approx(changes.mean() - half)
    assert serum["overall"]["n"] == 1 and serum["overall"]["sd_change"] is None
    assert saliva["by_clinic"][0]["clinic"] == "alpha"
    assert saliva["pooled"]["result"] is None  # one clinic: nothing to pool
    [se] = [m for m in body["sleep_change"] if m["metric"] == "se_pct"]
    assert se["overall"]["n"] == 1  # P2 has 13 nights
    first = np.mean([80.0 + d % 2 for d in range(1, 8)])
    assert se["overall"]["mean_before"] == pytest.approx(first)
    assert se["overall"]["mean_change"] == pytest.approx(90.5 - first)
    assert body["rows_by_clinic"] == {"alpha": {"cortisol": 10, "sleep": 27}}
