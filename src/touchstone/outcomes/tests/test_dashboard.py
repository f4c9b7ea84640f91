"""The clinic outcomes dashboard: numbers against the science core, filters, suppression,
CSV export and its audit, isolation, flat query counts, and the trajectory flag."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from touchstone.audit.models import AuditEvent
from touchstone.care.models import Episode
from touchstone.conftest import Cast, actor_of
from touchstone.measures.instruments import instrument
from touchstone.measures.models import Administration, Mode, Status
from touchstone.outcomes import summaries
from touchstone.outcomes.actions import do_fit_trajectory, do_refresh_trajectories
from touchstone.outcomes.analytics import OutcomeFilters, clinic_outcomes
from touchstone.outcomes.tests.factories import build_outcomes
from touchstone.outcomes.trajectories import not_on_track
from touchstone.science.change import change
from touchstone.science.outcomes import (
    MIN_CELL_COUNT,
    dose_response,
    prepost_hedges_g,
    rate_table,
    wilson_interval,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(cast: Cast) -> list[Any]:
    return build_outcomes(cast.harbour, [cast.tess, cast.alice], 60)


def test_it_matches_the_science_functions_on_the_same_data(cast: Cast, data: list[Any]):
    report = clinic_outcomes(cast.harbour)
    phq9 = report.instrument("phq9")
    definition = instrument("phq9")
    pre = np.array([d.scores["phq9"][0] for d in data], dtype=float)
    post = np.array([d.scores["phq9"][-1] for d in data], dtype=float)
    # Independent computation: one change() call per episode, then the science functions.
    results = [change(definition, pre=a, post=b) for a, b in zip(pre, post, strict=True)]
    classes = Counter(r.classification for r in results)
    expected = rate_table({k: classes.get(k, 0) for k in ("recovered", "improved", "unchanged",
                                                             "deteriorated")})  # fmt: skip
    assert phq9.n_paired == len(data) == phq9.n_baseline
    assert phq9.classification is not None
    assert phq9.classification.to_dict() == expected.to_dict()
    eligible = [r for r in results if r.response is not None]
    responders = sum(r.response for r in eligible)
    assert phq9.response is not None
    assert phq9.response.rows[0].count == responders
    assert phq9.response.rows[0].total == len(eligible)
    lo, hi = wilson_interval(responders, len(eligible))
    assert phq9.response.rows[0].ci_low == pytest.approx(float(lo), abs=1e-12)
    assert phq9.response.rows[0].ci_high == pytest.approx(float(hi), abs=1e-12)
    g = prepost_hedges_g(pre, post, higher_is_better=False)
    assert phq9.effect is not None
    assert phq9.effect.g == pytest.approx(g.g, abs=1e-12)
    assert (phq9.effect.ci_low, phq9.effect.ci_high) == pytest.approx((g.ci_low, g.ci_high))
    # Severity mix of baselines, by the instrument's bands.
    bands = Counter(next(b.label for b in definition.bands if b.min <= x <= b.max) for x in pre)
    assert {r.category: r.count for r in phq9.severity.rows} == {
        b.label: bands.get(b.label, 0) for b in definition.bands
    }
    # Breakdowns: by therapist and by sessions (dose-response bins of the science core).
    by_therapist = {r.label: r.n for r in phq9.by_therapist}
    assert by_therapist == {
        cast.tess.display_name: sum(d.therapist_id == cast.tess.pk for d in data),
        cast.alice.display_name: sum(d.therapist_id == cast.alice.pk for d in data),
    }
    improved = np.array([r.classification in ("recovered", "improved") for r in results])
    sessions = np.array([d.sessions for d in data], dtype=float)
    dose = dose_response(sessions, post - pre, improved, higher_is_better=False)
    assert [(r.label, r.n, r.improved) for r in phq9.by_sessions] == [
        (b.label, b.n, b.improved) for b in dose.bins if b.n
    ]
    assert phq9.spearman_rho == pytest.approx(dose.spearman_rho)


def test_it_filters_by_start_date_and_diagnosis_prefix(cast: Cast, data: list[Any]):
    cut = sorted(d.started_on for d in data)[30]
    later = clinic_outcomes(cast.harbour, OutcomeFilters(start=cut))
    assert later.n_episodes == sum(d.started_on >= cut for d in data)
    earlier = clinic_outcomes(cast.harbour, OutcomeFilters(end=cut - dt.timedelta(days=1)))
    assert earlier.n_episodes == sum(d.started_on < cut for d in data)
    f32 = clinic_outcomes(cast.harbour, OutcomeFilters(diagnosis="F32"))
    assert f32.n_episodes == 30  # every other episode has F32.1, the rest F41.1
    assert clinic_outcomes(cast.harbour, OutcomeFilters(diagnosis="F9")).n_episodes == 0


def _counts(tables: dict[str, list[dict[str, Any]]]) -> list[int]:
    keys = ("count", "total", "n", "improved", "unchanged", "deteriorated")
    return [
        row[k] for rows in tables.values() for row in rows for k in keys if row.get(k) is not None
    ]


def test_it_never_shows_a_cell_below_eleven_to_researchers(cast: Cast, data: list[Any]):
    report = clinic_outcomes(cast.harbour, deidentified=True)
    counts = _counts(report.tables())
    assert counts, "some counts are shown"
    assert not [c for c in counts if 1 <= c < MIN_CELL_COUNT]
    # The identified report does have small cells (a therapist/modality group, a dose bin).
    assert [c for c in _counts(clinic_outcomes(cast.harbour).tables()) if 1 <= c < 11]
    # The page: therapists are numbered, never named, and no client appears.
    html = cast.browser_for(cast.rita).get("/outcomes/research/").content.decode()
    assert "Therapist 1" in html
    assert cast.tess.display_name not in html
    assert "Client1 " not in html and "Synthetic" not in html


def test_it_hides_everything_when_the_researcher_scope_is_small(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess], 6)
    report = clinic_outcomes(cast.harbour, deidentified=True)
    assert report.n_episodes is None
    assert report.instrument("phq9").n_paired is None
    assert not [c for c in _counts(report.tables()) if 1 <= c < MIN_CELL_COUNT]


def test_it_exports_every_table_as_csv_and_audits_the_export(
    cast: Cast, data: list[Any], log_events: Any
):
    http = cast.browser_for(cast.bob)
    response = http.get("/outcomes/export.csv?table=all&diagnosis=F32")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    tables = {r[0] for r in rows if r and not r[0].startswith("#") and r[0] != "table"}
    expected = {
        "phq9-classification",
        "phq9-severity",
        "phq9-effect",
        "phq9-therapist",
        "phq9-modality",
        "phq9-sessions",
        "phq9-frequency",
        "gad7-classification",
    }
    assert expected <= tables
    report = clinic_outcomes(cast.harbour, OutcomeFilters(diagnosis="F32"))
    recovered = next(r for r in rows if r[0] == "phq9-classification" and r[1] == "recovered")
    assert int(recovered[2]) == report.instrument("phq9").classification.rows[0].count
    event = AuditEvent.objects.filter(action="export").latest("pk")
    assert event.actor == cast.bob.user
    assert event.clinic == cast.harbour
    assert "table=all" in event.detail
    [logged] = log_events("export_finished")
    assert (logged["kind"], logged["tables"]) == ("outcomes_csv", len(tables))
    one = http.get("/outcomes/export.csv?table=phq9-therapist")
    assert {r[0] for r in csv.reader(io.StringIO(one.content.decode())) if r and r[0][0] != "#"} \
        == {"table", "phq9-therapist"}  # fmt: skip
    assert http.get("/outcomes/export.csv?table=nope").status_code == 404


def test_it_keeps_other_clinics_out_of_the_report(cast: Cast, data: list[Any]):
    build_outcomes(cast.northside, [cast.charlie], 25, seed=9)
    assert clinic_outcomes(cast.harbour).n_episodes == len(data)
    assert clinic_outcomes(cast.northside).n_episodes == 25
    html = cast.browser_for(cast.charlie).get("/outcomes/details/").content.decode()
    assert "25 episodes in scope" in html
    assert cast.tess.display_name not in html


#: The brief dashboard, the statistics in full, and their de-identified twin.
PAGES = ("/outcomes/", "/outcomes/details/", "/outcomes/research/")


def _queries(cast: Cast, url: str) -> int:
    http = cast.browser_for(cast.alice)
    http.get(url)  # warm up: session, stored trajectory fits, the stored report
    # Out of date, as after any write: a small clinic's page recomputes its report in the
    # request (outcomes.summaries), so the count includes the report's own queries.
    summaries.note_change(cast.harbour.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_it_does_not_query_per_client(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess], 25, seed=1)
    few = [_queries(cast, url) for url in PAGES]
    build_outcomes(cast.harbour, [cast.tess, cast.alice], 80, seed=2)
    many = [_queries(cast, url) for url in PAGES]
    assert many == few
    # 20 for the outcomes tables and trajectories, 4 for the payer-grade measures
    # (outcomes/quality.py reads them in four queries; its own test checks that).
    assert many[1] <= 24, many


def test_it_flags_a_client_who_worsens_as_not_on_track(cast: Cast):
    data = build_outcomes(cast.harbour, [cast.tess], 40, worsen=0.0, seed=5)
    # A client who worsens steadily from a moderate baseline.
    worse = data[0]
    Administration.objects.filter(client_id=worse.client_id, instrument_id="phq9").delete()
    start = dt.datetime.now(dt.UTC) - dt.timedelta(weeks=8)
    Administration.objects.bulk_create(
        Administration(
            clinic=cast.harbour, client_id=worse.client_id, instrument_id="phq9",
            mode=Mode.CLINIC, status=Status.COMPLETED, total=total, computable=True,
            started_at=start + dt.timedelta(weeks=2 * j),
            completed_at=start + dt.timedelta(weeks=2 * j),
        )
        for j, total in enumerate([12, 14, 16, 19, 22])
    )  # fmt: skip
    # The baseline is the episode's (science.episodes): start the episode with the first score.
    Episode.objects.filter(pk=worse.episode_id).update(started_on=start.date())
    do_refresh_trajectories(actor_of(cast.bob), cast.harbour)
    flagged = not_on_track(cast.bob)
    assert worse.client_id in {f.client.pk for f in flagged if f.instrument_id == "phq9"}
    mine = next(f for f in flagged if f.client.pk == worse.client_id)
    assert mine.latest == 22 and mine.latest > mine.upper
    page = cast.browser_for(cast.bob).get(f"/clients/{worse.client_id}/progress/")
    assert "Not on track" in page.content.decode()
    assert worse.client_id not in {f.client.pk for f in not_on_track(cast.charlie)}


def test_it_logs_each_fit_and_warns_of_a_slow_one(cast: Cast, monkeypatch: Any, log_events: Any):
    build_outcomes(cast.harbour, [cast.tess], 40, seed=5)
    # The threshold is set both ways so the test never depends on how busy the machine is.
    monkeypatch.setattr("touchstone.outcomes.actions.SLOW_FIT_SECONDS", float("inf"))
    do_fit_trajectory(actor_of(cast.alice), cast.harbour, "phq9")
    monkeypatch.setattr("touchstone.outcomes.actions.SLOW_FIT_SECONDS", 0.0)
    do_fit_trajectory(actor_of(cast.alice), cast.harbour, "phq9")
    with pytest.raises(ValueError, match="clients"):
        do_fit_trajectory(actor_of(cast.charlie), cast.northside, "phq9")
    first, slow = log_events("trajectory_fitted")
    assert (first["level"], first["slow"], slow["level"], slow["slow"]) == (
        "info", False, "warning", True,
    )  # fmt: skip
    assert first["clinic_id"] == cast.harbour.pk and first["clients"] >= 20
    assert first["instrument"] == "phq9" and first["duration_ms"] > 0
    [skipped] = log_events("trajectory_not_fitted")
    assert skipped["clinic_id"] == cast.northside.pk


def test_it_gives_the_dashboard_to_owner_and_clinician_only(cast: Cast):
    for member, status in ((cast.alice, 200), (cast.bob, 200), (cast.tess, 403),
                           (cast.fiona, 403), (cast.rita, 403)):  # fmt: skip
        assert cast.browser_for(member).get("/outcomes/").status_code == status
    assert cast.browser_for(cast.rita).get("/outcomes/research/").status_code == 200
    assert cast.browser_for(cast.bob).get("/outcomes/research/").status_code == 403


def test_it_shows_owners_diagnosis_filtered_figures_de_identified(cast: Cast, data: list[Any]):
    html = cast.browser_for(cast.alice).get("/outcomes/details/?diagnosis=F32").content.decode()
    assert "De-identified" in html
    html = cast.browser_for(cast.bob).get("/outcomes/details/?diagnosis=F32").content.decode()
    assert "De-identified" not in html
    bad = cast.browser_for(cast.bob).get("/outcomes/details/?diagnosis=32%25").content.decode()
    assert "Give an ICD-10-CM code" in bad


def test_its_csv_never_hands_a_spreadsheet_a_formula(cast: Cast):
    """Staff names such as ``=cmd|…`` reach the therapist table as text (issue 11 §3)."""
    cast.tess.user.first_name, cast.tess.user.last_name = "=cmd|' /C calc'!A0", "+Tess"
    cast.tess.user.save(update_fields=["first_name", "last_name"])
    build_outcomes(cast.harbour, [cast.tess], 30)
    text = cast.browser_for(cast.bob).get("/outcomes/export.csv?table=phq9-therapist")
    rows = list(csv.reader(io.StringIO(text.content.decode())))
    cells = [cell for row in rows for cell in row]
    assert "'=cmd|' /C calc'!A0 +Tess" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not _number(c))]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_a_diagnosis_filter_on_a_one_episode_window_tells_nothing(cast: Cast):
    """Differencing: with 0 printed and 1-10 hidden, filtering a window holding one episode
    by a diagnosis showed 0 for the diagnoses the client does not have. 0 is hidden too."""
    build_outcomes(cast.harbour, [cast.tess, cast.alice], 1, diagnosis="F32.1")
    reports = [
        clinic_outcomes(cast.harbour, OutcomeFilters(diagnosis=code), deidentified=True)
        for code in ("F32", "F41", "F99")
    ]
    seen = [
        (
            r.n_episodes,
            [
                (i.n_baseline, i.n_paired, i.severity and i.severity.to_dict())
                for i in r.instruments
            ],
        )
        for r in reports
    ]
    assert seen[0] == seen[1] == seen[2]
    assert reports[0].n_episodes is None
    page = (
        cast.browser_for(cast.alice)
        .get("/outcomes/details/", {"diagnosis": "F99"})
        .content.decode()
    )
    assert "&lt;11 or hidden episodes in scope" in page and "0 episodes" not in page


def test_it_answers_in_plain_words_first_with_the_trials_beside(cast: Cast, data: list[Any]):
    phq9 = clinic_outcomes(cast.harbour).instrument("phq9")
    assert phq9.classification is not None
    counts = {row.category: row.count for row in phq9.classification.rows}
    improved = (counts["recovered"] or 0) + (counts["improved"] or 0)
    share = f"{100 * improved / len(data):.0f}%"
    page = cast.browser_for(cast.bob).get("/outcomes/").content.decode()
    answer = page.split('class="answer"', 1)[1].split("</p>", 1)[0]
    assert f"<strong>{share}</strong> of the {len(data)} clients with a PHQ-9 score" in answer
    assert "improved reliably" in answer and "Hedges" not in answer
    assert "Hou et al. 2010" in page and "10.4088/JCP.09r05009blu" in page
    assert 'data-chart="outcomes-answer"' in page and "The chart as a table" in page
    assert 'href="/outcomes/details/"' in page
    # The tables are one click away, each term explained where it appears.
    details = cast.browser_for(cast.bob).get("/outcomes/details/").content.decode()
    assert "What these terms mean" in details and "Pre–post effect size" in details
    assert '<abbr title="Wilson 95% interval">95% CI</abbr>' in details


def test_a_filtered_dashboard_address_opens_the_details_with_its_filters(cast: Cast):
    response = cast.browser_for(cast.bob).get("/outcomes/?diagnosis=F32")
    assert response.status_code == 302
    assert response["Location"] == "/outcomes/details/?diagnosis=F32"


def test_the_details_are_the_owners_and_clinicians_only(cast: Cast):
    for member, status in ((cast.alice, 200), (cast.bob, 200), (cast.tess, 403),
                           (cast.fiona, 403), (cast.rita, 403)):  # fmt: skip
        assert cast.browser_for(member).get("/outcomes/details/").status_code == status
