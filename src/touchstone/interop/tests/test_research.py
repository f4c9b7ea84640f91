"""De-identified research export: consent, Safe Harbor, the identifier scan, pooling."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from touchstone.audit.models import Action, AuditEvent
from touchstone.billing.models import FeeTier, TierAssessment
from touchstone.care.models import Episode, Visit
from touchstone.clients.models import Client
from touchstone.conftest import Cast
from touchstone.interop.research import (
    PARQUET_TYPES,
    ResearchImportError,
    dictionary,
    export_research,
    load_exports,
    pooled_outcomes,
    read_parquet,
)
from touchstone.interop.research_modes import LIMITED, MODES, SAFE_HARBOR
from touchstone.measures.models import Administration
from touchstone.physiology.models import Recording, Sample, SleepNight
from touchstone.physiology.tests.factories import make_recording, make_sample, make_sleep_night
from touchstone.reports.tests.factories import full_client
from touchstone.science import research_format as rf
from touchstone.science.network.stepped_wedge import register
from touchstone.science.outcomes import MIN_CELL_COUNT

PEOPLE = [
    dict(given_name="Zebediah", family_name="Quillfeather", date_of_birth=dt.date(1930, 3, 14),
         email="zeb.quill@example.net", phone="617-555-0199", address="42 Wisteria Lane",
         city="Marblehead", postal_code="03601"),
    dict(given_name="Ottoline", family_name="Brackenridge", date_of_birth=dt.date(1988, 11, 5),
         email="otto.brack@example.net", phone="617-555-0142", address="7 Larkspur Court",
         city="Swampscott", postal_code="02139-4307"),
]  # fmt: skip


def _consented(cast: Cast, clinic, person: dict) -> Client:
    today = dt.date.today()  # noqa: DTZ011
    client, _ = full_client(
        clinic, cast.bob if clinic == cast.harbour else cast.charlie,
        cast.tess if clinic == cast.harbour else cast.charlie,
        research_consent=True, research_consent_on=today - dt.timedelta(days=30), **person,
    )  # fmt: skip
    return client


def _all_text(directory: Path) -> str:
    parts = []
    for path in sorted(directory.iterdir()):
        if path.suffix == ".parquet":
            parts.append(read_parquet(path).to_csv(index=False))
        else:
            parts.append(path.read_text())
    return "\n".join(parts)


def test_it_exports_consented_clients_only_without_any_identifier(cast: Cast, tmp_path):
    clients = [_consented(cast, cast.harbour, p) for p in PEOPLE]
    refuser, _ = full_client(cast.harbour, cast.bob, cast.tess, given_name="Refusenik")
    result = export_research(cast.harbour, tmp_path, mode=LIMITED)
    assert result.counts["clients"] == 2
    text = _all_text(tmp_path)
    for client in [*clients, refuser]:
        identifiers = [
            client.given_name, client.family_name, client.email, client.phone, client.address,
            client.city, client.postal_code, client.date_of_birth.isoformat(),
            client.date_of_birth.strftime("%m/%d/%Y"),
        ]  # fmt: skip
        for value in filter(None, identifiers):
            assert value not in text, f"{value!r} leaked"
    # Every exported date is shifted: no row carries its own record's exact date.
    frames = {p.stem: read_parquet(p) for p in tmp_path.glob("*.parquet")}
    pids = dict(zip(frames["clients"]["pid"], ["Zebediah", "Ottoline"], strict=True))
    for client in clients:
        pid = next(p for p, name in pids.items() if name == client.given_name)
        episodes = Episode.objects.filter(client=client).order_by("pk")
        visits = Visit.objects.filter(client=client).order_by("starts_at", "pk")
        scores = Administration.objects.filter(client=client).order_by("completed_at", "pk")
        real = {
            "episodes": [e.started_on for e in episodes],
            "visits": [timezone.localtime(v.starts_at).date() for v in visits],
            "scores": [timezone.localtime(a.completed_at).date() for a in scores],
        }
        for name, days in real.items():
            column = "start" if name == "episodes" else "date"
            shown = list(frames[name][frames[name]["pid"] == pid][column])
            assert len(shown) == len(days)
            assert all(s != d.isoformat() for s, d in zip(shown, days, strict=True)), name
            offsets = {
                (dt.date.fromisoformat(s) - d).days for s, d in zip(shown, days, strict=True)
            }
            assert len(offsets) == 1 and 0 < abs(offsets.pop()) <= 365
    # Record ids never appear in id columns.
    record_ids = {str(c.pk) for c in clients} | {str(e.pk) for e in Episode.objects.all()}
    for name in ("clients", "episodes", "scores", "visits"):
        for column in ("pid", "episode", "site"):
            if column in frames[name]:
                assert not record_ids & set(frames[name][column].astype(str))
    assert "90+" in set(frames["clients"]["age"])  # born 1930: over 89
    assert set(frames["clients"]["zip3"]) == {"000", "021"}
    redcap = (tmp_path / "redcap_data_dictionary.csv").read_text().splitlines()
    assert redcap[0].startswith("Variable / Field Name,Form Name,Section Header,Field Type")
    assert redcap[1].startswith("record_id,clients")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["counts"]["clients"] == 2
    assert (manifest["format"], manifest["version"]) == ("touchstone-research-export", 6)
    assert not re.search(r"\bRefusenik\b", text)


def test_it_writes_parquet_with_the_dictionarys_types_and_the_csv_values(cast: Cast, tmp_path):
    _consented(cast, cast.harbour, PEOPLE[0])
    for mode in MODES:
        export_research(cast.harbour, tmp_path / mode / "one", mode=mode, diagnoses=True)
        # no consenting client: empty tables
        export_research(cast.northside, tmp_path / mode / "none", mode=mode)
    with duckdb.connect() as con:
        for folder, columns_of in [
            (f"{mode}/{name}", dictionary(mode, diagnoses=name == "one"))
            for mode in MODES
            for name in ("one", "none")
        ]:
            for table, columns in columns_of.items():
                path = tmp_path / folder / f"{table}.parquet"
                schema = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)])
                assert [row[:2] for row in schema.fetchall()] == [
                    (column, PARQUET_TYPES[kind]) for column, kind, _ in columns
                ]
                csv_text = (tmp_path / folder / f"{table}.csv").read_text()
                assert read_parquet(path).to_csv(index=False) == csv_text


def test_it_keeps_pseudonyms_stable_across_exports_of_one_clinic(cast: Cast, tmp_path):
    _consented(cast, cast.harbour, PEOPLE[0])
    export_research(cast.harbour, tmp_path / "a")
    export_research(cast.harbour, tmp_path / "b")
    a = read_parquet(tmp_path / "a" / "scores.parquet")
    b = read_parquet(tmp_path / "b" / "scores.parquet")
    assert a.equals(b)


def test_it_pools_exports_of_two_clinics_and_computes_outcome_rates(cast: Cast, tmp_path):
    _consented(cast, cast.harbour, PEOPLE[0])
    _consented(cast, cast.harbour, PEOPLE[1])
    _consented(cast, cast.northside, {**PEOPLE[1], "given_name": "Northy"})
    call_command(
        "export", "research", "--out", str(tmp_path / "h"), "--clinic", "harbour", "--no-progress"
    )
    call_command(
        "export", "research", "--out", str(tmp_path / "n"), "--clinic", "northside", "--no-progress"
    )
    assert AuditEvent.objects.filter(action=Action.EXPORT, channel="cli").count() == 2
    frames = load_exports([tmp_path / "h", tmp_path / "n"])
    pooled = pooled_outcomes(frames)
    assert pooled["sites"] == 2
    # Each synthetic episode goes from PHQ-9 18 to 5: recovered (Jacobson & Truax).
    assert pooled["instruments"]["phq9"]["counts"]["recovered"] == 3
    assert pooled["instruments"]["phq9"]["n"] == 3
    db = tmp_path / "pool.duckdb"
    call_command("import", "research", str(tmp_path / "h"), str(tmp_path / "n"), "--db", str(db))
    with duckdb.connect(str(db)) as con:
        assert con.execute("select count(*) from clients").fetchone()[0] == 3


def test_it_logs_the_export_and_the_pooling_as_one_job_each(cast: Cast, tmp_path, log_events):
    _consented(cast, cast.harbour, PEOPLE[0])
    call_command(
        "export", "research", "--out", str(tmp_path / "h"), "--clinic", "harbour", "--no-progress"
    )
    call_command("import", "research", str(tmp_path / "h"), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("import", "research", str(tmp_path))  # not an export
    started = log_events("job_started")
    assert [e["job"] for e in started] == ["export", "import", "import"]
    [export] = log_events("export_finished")
    assert export["kind"] == "research" and export["clients"] == 1
    assert export["job_id"] == started[0]["job_id"]
    [pooled] = log_events("import_finished")
    assert (pooled["sites"], pooled["clients"], pooled["job_id"]) == (1, 1, started[1]["job_id"])
    [failed] = log_events("import_failed")
    assert failed["reason"] == "not_an_export"
    [refused] = log_events("job_refused")  # bad input: the person was told, exit status 2
    assert refused["error"] == "CommandError" and refused["job_id"] == started[2]["job_id"]
    assert len({e["job_id"] for e in started}) == 3


def test_it_lets_only_the_owner_download_the_research_zip(cast: Cast):
    _consented(cast, cast.harbour, PEOPLE[0])
    response = cast.browser_for(cast.alice).post("/interop/research/export.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert cast.browser_for(cast.rita).post("/interop/research/export.zip").status_code == 403
    with pytest.raises(AssertionError):
        assert b"Quillfeather" in response.content


def test_it_orders_scores_and_names_therapists_by_pseudonym_only(cast: Cast, tmp_path):
    client = _consented(cast, cast.harbour, PEOPLE[0])
    export_research(cast.harbour, tmp_path)
    scores = read_parquet(tmp_path / "scores.parquet")
    # seq numbers the client's administrations in completion order, 1, 2, ...
    completed = Administration.objects.filter(client=client).completed()
    assert list(scores["seq"]) == list(range(1, completed.count() + 1))
    visits = read_parquet(tmp_path / "visits.parquet")
    therapists = set(visits["therapist"])
    assert therapists and all(re.fullmatch(r"T[0-9a-f]{16}", t) for t in therapists)
    staff_ids = {str(v.therapist_id) for v in Visit.objects.filter(client=client)}
    assert not staff_ids & therapists


def test_it_exports_the_coded_sex_gender_and_life_stage_but_no_words_or_delivery_date(
    cast: Cast, tmp_path
):
    delivered = timezone.localdate() - dt.timedelta(weeks=9, days=3)
    client = _consented(
        cast, cast.harbour,
        {**PEOPLE[1], "sex_at_birth": "female", "gender_identity": "other",
         "gender_identity_other": "Two-Spirit", "pronouns": "other", "pronouns_other": "xe/xem",
         "pregnancy_status": "postpartum", "delivery_date": delivered, "menopause_status": "pre"},
    )  # fmt: skip
    client.full_clean()
    export_research(cast.harbour, tmp_path)
    (row,) = read_parquet(tmp_path / "clients.parquet").to_dict("records")
    assert {k: row[k] for k in ("sex_at_birth", "gender_identity", "pronouns")} == {
        "sex_at_birth": "female", "gender_identity": "other", "pronouns": "other",
    }  # fmt: skip
    assert (row["pregnancy_status"], row["postpartum_weeks"], row["menopause_status"]) == (
        "postpartum", "7-12", "pre",
    )  # fmt: skip
    text = _all_text(tmp_path)
    for value in ("Two-Spirit", "xe/xem", delivered.isoformat(), delivered.strftime("%m/%d/%Y")):
        assert value not in text, f"{value!r} leaked"


def _pool(days: list[int], totals: list[int], criteria: str = "jacobson-truax") -> dict:
    frames = {
        "clients": pd.DataFrame({"pid": ["P1"], "site": ["S1"]}),
        "episodes": pd.DataFrame(
            {"pid": ["P1"], "episode": ["E1"], "start": ["2026-01-05"], "end": [""]}
        ),
        "scores": pd.DataFrame(
            {
                "pid": ["P1"] * len(days),
                "instrument": ["phq9"] * len(days),
                "date": [(dt.date(2026, 1, 5) + dt.timedelta(days=d)).isoformat() for d in days],
                "total": pd.array(totals, dtype="Int64"),
                "severity": [""] * len(days),
            }
        ),
    }
    return pooled_outcomes(frames, ("phq9",), criteria=criteria)["instruments"]["phq9"]


def test_the_pool_pairs_scores_with_the_one_baseline_and_the_recall_period_rule():
    # Issue 10 §3: a PHQ-9 three days after the baseline is not a follow-up (2-week recall).
    assert _pool([0, 3], [18, 5])["n"] == 0
    assert _pool([0, 3, 14], [18, 5, 6])["counts"]["recovered"] == 1
    # The baseline must be within 30 days of the episode's start, as on every page.
    assert _pool([35, 60], [18, 5])["n"] == 0


def test_the_pool_judges_change_with_the_criteria_asked_for():
    # PHQ-9 12 -> 7: recovered by Jacobson & Truax, not a reliable change of 6 for NHS TT.
    assert _pool([0, 20], [12, 7])["counts"]["recovered"] == 1
    nhs = _pool([0, 20], [12, 7], criteria="nhs-talking-therapies")
    assert (nhs["counts"]["recovered"], nhs["counts"]["unchanged"]) == (0, 1)


def test_the_formats_codes_are_the_clients_model_choices():
    # science.research_format lists the codes without Django; the model must not drift.
    from touchstone.clients import models
    from touchstone.science import research_format as rf

    assert tuple(models.SexAtBirth.values) == rf.SEX_AT_BIRTH
    assert tuple(models.GenderIdentity.values) == rf.GENDER_IDENTITY
    assert tuple(models.Pronouns.values) == rf.PRONOUNS
    assert tuple(models.PregnancyStatus.values) == rf.PREGNANCY_STATUS
    assert tuple(models.MenopauseStatus.values) == rf.MENOPAUSE_STATUS
    dictionary = {c: d for c, _, d in rf.DICTIONARY["clients"]}
    assert "non-binary, other, asked-declined" in dictionary["gender_identity"]
    assert "0-6, 7-12, 13-26, 27-52, 53+" in dictionary["postpartum_weeks"]


ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def test_safe_harbor_is_the_default_with_years_and_day_counts_only(cast: Cast, tmp_path):
    client = _consented(cast, cast.harbour, PEOPLE[1])
    export_research(cast.harbour, tmp_path / "sh")
    manifest = json.loads((tmp_path / "sh" / "manifest.json").read_text())
    assert (manifest["mode"], manifest["diagnoses"]) == (SAFE_HARBOR, False)
    text = _all_text(tmp_path / "sh")
    assert not ISO_DATE.search(text.replace("data_dictionary", ""))
    frames = {p.stem: read_parquet(p) for p in (tmp_path / "sh").glob("*.parquet")}
    [episode] = Episode.objects.filter(client=client)
    assert list(frames["episodes"]["start_year"]) == [episode.started_on.year]
    assert list(frames["episodes"]["start_day"]) == [0]
    real = [
        (timezone.localtime(a.completed_at).date() - episode.started_on).days
        for a in Administration.objects.filter(client=client).order_by("completed_at", "pk")
    ]
    assert list(frames["scores"]["day"]) == real
    assert "diagnoses" not in frames["episodes"]


def test_the_owners_download_has_no_diagnosis_codes(cast: Cast):
    import zipfile

    _consented(cast, cast.harbour, PEOPLE[0])
    assert Episode.objects.filter(diagnoses__isnull=False).exists()
    for mode in MODES:
        response = cast.browser_for(cast.alice).post("/interop/research/export.zip", {"mode": mode})
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        episodes = archive.read("episodes.csv").decode()
        assert "diagnoses" not in episodes and not re.search(r"\bF\d{2}", episodes)
        assert json.loads(archive.read("manifest.json"))["mode"] == mode
    assert AuditEvent.objects.filter(detail__contains="(limited_data_set)").exists()


def test_a_crash_during_an_export_leaves_the_earlier_one_whole(cast: Cast, tmp_path, monkeypatch):
    _consented(cast, cast.harbour, PEOPLE[0])
    out = tmp_path / "export"
    export_research(cast.harbour, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # as abrupt as it gets in-process (kill -9 leaves a temp dir)

    monkeypatch.setattr("touchstone.interop.research.write_parquet", crash)
    with pytest.raises(KeyboardInterrupt):
        export_research(cast.harbour, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["export"]  # no temporary left behind
    load_exports([out])


def test_the_import_refuses_a_file_the_manifest_does_not_vouch_for(cast: Cast, tmp_path):
    _consented(cast, cast.harbour, PEOPLE[0])
    out = tmp_path / "export"
    export_research(cast.harbour, out)
    (out / "clients.csv").write_text("")  # what kill -9 over an earlier export left
    with pytest.raises(ResearchImportError, match=r"clients\.csv does not match"):
        load_exports([out])
    export_research(cast.harbour, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["counts"]["scores"] += 1
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ResearchImportError, match="scores has"):
        load_exports([out])
    (out / "manifest.json").unlink()
    with pytest.raises(ResearchImportError, match=r"no manifest\.json"):
        load_exports([out])


def test_it_refuses_to_replace_a_directory_that_is_not_an_export(cast: Cast, tmp_path):
    from touchstone.interop.research import ResearchExportError

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ResearchExportError, match="holds other files"):
        export_research(cast.harbour, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_both_modes_pool_to_the_same_outcomes(cast: Cast, tmp_path):
    _consented(cast, cast.harbour, PEOPLE[0])
    _consented(cast, cast.harbour, PEOPLE[1])
    export_research(cast.harbour, tmp_path / "sh")
    export_research(cast.harbour, tmp_path / "lds", mode=LIMITED)
    sh = pooled_outcomes(load_exports([tmp_path / "sh"]))
    lds = pooled_outcomes(load_exports([tmp_path / "lds"]))
    assert sh == lds and sh["instruments"]["phq9"]["n"] == 2


def _body(cast: Cast, client: Client) -> tuple[Visit, Sample, Recording, SleepNight]:
    visit = Visit.objects.filter(client=client).order_by("starts_at").first()
    assert visit is not None
    sample = make_sample(
        cast.harbour, client, visit=visit, timing="before", collected_at=visit.starts_at,
        value=0.45, unit="ug/dL",
    )  # fmt: skip
    recording = make_recording(
        cast.harbour, client, visit=visit, timing="after", device="Zebediah's Polar H10",
        recorded_at=visit.starts_at + dt.timedelta(hours=1),
    )  # fmt: skip
    night = make_sleep_night(cast.harbour, client, quality=4)
    return visit, sample, recording, night


def test_it_exports_cortisol_hrv_and_sleep_with_the_visit_episode_and_no_free_text(
    cast: Cast, tmp_path
):
    client = _consented(cast, cast.harbour, PEOPLE[0])
    refuser, _ = full_client(cast.harbour, cast.bob, cast.tess, given_name="Refusenik")
    visit, sample, recording, night = _body(cast, client)
    make_sleep_night(cast.harbour, refuser)
    export_research(cast.harbour, tmp_path / "sh")
    frames = {p.stem: read_parquet(p) for p in (tmp_path / "sh").glob("*.parquet")}
    [episode] = frames["episodes"]["episode"]
    anchor = Episode.objects.get(client=client).started_on
    [cortisol] = frames["cortisol"].to_dict("records")
    assert cortisol["episode"] == episode and cortisol["timing"] == "before"
    # 0.45 ug/dL is 12.4 nmol/L: the canonical value, as the page shows it.
    assert (cortisol["unit"], cortisol["value"]) == (
        "nmol/L",
        pytest.approx(sample.canonical_value),
    )
    assert cortisol["day"] == (timezone.localtime(visit.starts_at).date() - anchor).days
    [hrv] = frames["hrv"].to_dict("records")
    assert (hrv["episode"], hrv["timing"], hrv["rmssd"]) == (episode, "after", recording.rmssd)
    assert pd.isna(hrv["lf"]) and hrv["n_beats"] == 10
    [sleep] = frames["sleep"].to_dict("records")  # the refuser's night stays home
    assert (sleep["quality"], sleep["day"]) == (4, (night.night_of - anchor).days)
    assert sleep["tst_min"] == pytest.approx(night.tst_min)
    text = _all_text(tmp_path / "sh")
    assert "Polar" not in text and "Zebediah" not in text
    assert "rr_ms" not in text and "device" not in text
    manifest = json.loads((tmp_path / "sh" / "manifest.json").read_text())
    assert manifest["version"] == 6
    assert manifest["counts"] == {
        "clients": 1, "episodes": 1, "scores": len(frames["scores"]),
        "visits": len(frames["visits"]), "cortisol": 1, "hrv": 1, "sleep": 1,
        "study_periods": 0,
    }  # fmt: skip
    dictionary_rows = (tmp_path / "sh" / "data_dictionary.csv").read_text()
    assert "cortisol,day,integer" in dictionary_rows and "hrv,rmssd,number" in dictionary_rows
    redcap = (tmp_path / "sh" / "redcap_data_dictionary.csv").read_text()
    assert "sleep_se_pct,sleep,,text" in redcap and ",number," in redcap


def test_the_limited_data_set_shifts_the_body_dates_by_the_clients_offset(cast: Cast, tmp_path):
    client = _consented(cast, cast.harbour, PEOPLE[1])
    visit, _, _, night = _body(cast, client)
    export_research(cast.harbour, tmp_path, mode=LIMITED)
    frames = {p.stem: read_parquet(p) for p in tmp_path.glob("*.parquet")}
    [episode_start] = frames["episodes"]["start"]
    offset = (
        dt.date.fromisoformat(episode_start) - Episode.objects.get(client=client).started_on
    ).days
    assert offset != 0
    visit_day = timezone.localtime(visit.starts_at).date()
    for table, real in [("cortisol", visit_day), ("hrv", visit_day), ("sleep", night.night_of)]:
        [shown] = frames[table]["date"]
        assert dt.date.fromisoformat(shown) - real == dt.timedelta(days=offset), table


def test_an_export_from_before_the_body_tables_still_pools(cast: Cast, tmp_path):
    _consented(cast, cast.harbour, PEOPLE[0])
    out = tmp_path / "v3"
    export_research(cast.harbour, out)
    manifest = json.loads((out / "manifest.json").read_text())
    for table in ("cortisol", "hrv", "sleep"):
        for suffix in (".csv", ".parquet"):
            (out / f"{table}{suffix}").unlink()
            del manifest["sha256"][f"{table}{suffix}"]
        del manifest["counts"][table]
    manifest |= {"version": 3, "tables": ["clients", "episodes", "scores", "visits"]}
    (out / "manifest.json").write_text(json.dumps(manifest))
    frames = load_exports([out])
    assert frames["sleep"].empty and "tst_min" in frames["sleep"].columns
    assert pooled_outcomes(frames)["instruments"]["phq9"]["n"] == 1
    # ... but a version 4 export that lost a body table is refused.
    export_research(cast.harbour, tmp_path / "v4")
    (tmp_path / "v4" / "hrv.parquet").unlink()
    with pytest.raises(ResearchImportError, match=r"hrv\.parquet is missing"):
        load_exports([tmp_path / "v4"])


def _assess(cast: Cast, client: Client, tier, on: dt.date) -> None:
    TierAssessment.objects.create(
        clinic=cast.harbour, client=client, household_size=2, annual_income=Decimal("20000"),
        verification="self_attested", assessed_by=cast.alice, assessed_on=on,
        review_on=on + dt.timedelta(days=365), guideline_year=2026,
        percent_of_guideline=Decimal("90.0"), tier=tier,
    )  # fmt: skip


def test_it_exports_the_current_fee_tier_coded_and_suppresses_small_groups(
    cast: Cast, tmp_path, monkeypatch
):
    assessed, never = (_consented(cast, cast.harbour, p) for p in PEOPLE)
    free = FeeTier.objects.create(
        clinic=cast.harbour, name="A (pro bono)", up_to_percent=Decimal("100"), fee_percent=0
    )
    third = FeeTier.objects.create(
        clinic=cast.harbour, name="Neighbours' rate", up_to_percent=Decimal("150"), fee_percent=33
    )
    today = timezone.localdate()
    _assess(cast, assessed, free, today - dt.timedelta(days=300))
    _assess(cast, assessed, third, today - dt.timedelta(days=10))  # the newest counts
    order = list(Client.objects.filter(research_consent=True).order_by("pk"))
    # Coding, without the small-cell rule: the share of the fee the newest tier pays.
    monkeypatch.setattr("touchstone.interop.research.tier_codes", lambda codes: codes)
    export_research(cast.harbour, tmp_path / "raw")
    tiers = list(read_parquet(tmp_path / "raw" / "clients.parquet")["tier"].fillna(""))
    assert tiers == ["1-49" if c == assessed else "" for c in order]
    monkeypatch.undo()
    # As exported: one client in a tier is fewer than 11, so the code is suppressed.
    export_research(cast.harbour, tmp_path / "out")
    tiers = list(read_parquet(tmp_path / "out" / "clients.parquet")["tier"].fillna(""))
    assert tiers == ["suppressed" if c == assessed else "" for c in order]
    assert never not in {c for c, t in zip(order, tiers, strict=True) if t}
    text = _all_text(tmp_path / "out")
    assert "Neighbours' rate" not in text and "20000" not in text
    dictionary_text = (tmp_path / "out" / "data_dictionary.csv").read_text()
    assert 'clients,tier,text,"Sliding-scale fee tier' in dictionary_text
    assert "clients_tier,clients" in (tmp_path / "out" / "redcap_data_dictionary.csv").read_text()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["version"] == 6 and manifest["studies"] == {}


def test_the_tier_suppression_hides_every_small_group_and_its_complement():
    assert rf.TIER_MIN_CELL == MIN_CELL_COUNT
    assert rf.tier_codes(["0"] * 11 + ["100"] * 11) == ["0"] * 11 + ["100"] * 11
    # One small group alone would be read off as "the one code missing": the next-smallest
    # group goes with it.
    codes = rf.tier_codes(["0"] * 30 + ["1-49"] * 12 + ["100"] * 4 + [""] * 2)
    assert codes == ["0"] * 30 + ["suppressed"] * 16 + [""] * 2
    assert rf.tier_codes(["0"] * 3 + ["100"] * 4) == ["suppressed"] * 7
    assert [rf.tier_code(Decimal(v)) for v in ("0", "0.01", "49.99", "50", "99.99", "100")] == [
        "0", "1-49", "1-49", "50-99", "50-99", "100"]  # fmt: skip


def test_it_exports_a_network_studys_periods_in_the_limited_data_set_only(cast: Cast, tmp_path):
    client = _consented(cast, cast.harbour, PEOPLE[1])
    [episode] = Episode.objects.filter(client=client)
    start = episode.started_on - dt.timedelta(days=30)
    study = register({
        "id": "calm", "title": "Calm", "question": "Does massage help?",
        "clinics": ["harbour", "northside"], "periods": 3, "start": start.isoformat(),
        "period_days": 28, "primary_outcome": {"instrument_id": "phq9", "weeks": 4,
                                               "window_days": 7},
        "power": {"clients_per_clinic_period": 10, "difference": -3, "sigma": 5.5, "icc": 0.05},
    }, tmp_path / "study")  # fmt: skip
    # The clinic holds the protocol only, never the seal.
    protocol = tmp_path / "clinic-copy" / "protocol.json"
    protocol.parent.mkdir()
    protocol.write_text((tmp_path / "study" / "protocol.json").read_text())
    out = io.StringIO()
    call_command("export", "research", "--out", str(tmp_path / "lds"), "--mode", LIMITED,
                 "--study", str(protocol), "--clinic", "harbour", "--no-progress",
                 stdout=out)  # fmt: skip
    periods = read_parquet(tmp_path / "lds" / "study_periods.parquet").to_dict("records")
    episodes = read_parquet(tmp_path / "lds" / "episodes.parquet")
    assert periods == [{"study": "calm", "episode": episodes["episode"][0], "period": 2}]
    manifest = json.loads((tmp_path / "lds" / "manifest.json").read_text())
    assert manifest["studies"] == {"calm": study.sha256}
    assert AuditEvent.objects.filter(action=Action.EXPORT, detail__endswith="study calm").exists()
    # A period is a date element: Safe Harbor refuses it, and writes nothing.
    with pytest.raises(CommandError, match="export a study in the limited_data_set mode"):
        call_command("export", "research", "--out", str(tmp_path / "sh"), "--study",
                     str(protocol), "--clinic", "harbour", "--no-progress")  # fmt: skip
    assert not (tmp_path / "sh").exists()
    # A protocol changed since its registration is refused.
    changed = json.loads(protocol.read_text())
    changed["content"]["periods"] = 4
    protocol.write_text(json.dumps(changed))
    with pytest.raises(CommandError, match="does not match its registered SHA-256"):
        call_command("export", "research", "--out", str(tmp_path / "x"), "--mode", LIMITED,
                     "--study", str(protocol), "--clinic", "harbour",
                     "--no-progress")  # fmt: skip
