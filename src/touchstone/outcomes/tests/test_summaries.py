"""The stored summaries: the lists follow every write, equal the live computations, the
dashboard reads its stored report and never refits or writes in a GET, and "not on track" is
linear in the number of scores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.audit.models import AuditEvent
from touchstone.care.tests.factories import make_episode, make_visit
from touchstone.clients.actions import do_archive_client, do_update_client
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.selectors import reliably_deteriorated
from touchstone.measures.tests.factories import answered
from touchstone.outcomes import summaries, trajectories, views
from touchstone.outcomes.actions import do_fit_trajectory
from touchstone.outcomes.models import ClinicSummary, DueQuestionnaire, TrajectoryFit
from touchstone.outcomes.quality import last_twelve_months, quality_measures
from touchstone.outcomes.tests.factories import build_outcomes
from touchstone.outcomes.tests.test_quality import at, episode, phq9, visit
from touchstone.views import HOME_ROWS

pytestmark = pytest.mark.django_db


SEVEN = [1, 1, 1, 1, 1, 1, 1, 0, 0]
TWELVE = [2, 2, 2, 2, 2, 2, 0, 0, 0]


def _ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def _live_deteriorated(member: Any) -> set[tuple[int, str, int, int]]:
    """Main's live computation (``measures.selectors.reliably_deteriorated``: episode
    baselines, one recall period, the clinic's criteria), the reference of the stored list."""
    return {
        (d.client.pk, d.instrument_id, d.baseline, d.latest) for d in reliably_deteriorated(member)
    }


def _stored_deteriorated(member: Any) -> set[tuple[int, str, int, int]]:
    listing = summaries.deteriorated(member, offset=0, limit=100_000)
    found = [(d.client.pk, d.instrument_id, d.baseline, d.latest) for d in listing.items]
    assert listing.count == len(found) == len(set(found))  # each client once per instrument
    return set(found)


def _stored(member: Any, read: Any) -> list[Any]:
    return read(member, offset=0, limit=100_000).items


def test_it_lists_a_client_the_moment_a_worse_score_is_saved(cast: Cast):
    client = make_client(cast.harbour, family_name="Worsening")
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=20))
    answered(client, cast.tess, "phq9", [0] * 9, at=_ago(20))
    assert summaries.deteriorated(cast.bob).count == 0
    answered(client, cast.tess, "phq9", [2] * 8 + [0])  # 0 -> 16: reliably worse
    listed = summaries.deteriorated(cast.bob)
    assert listed.count == 1
    [row] = listed.items
    assert (row.client.pk, row.instrument_id, row.baseline, row.latest) == (
        client.pk,
        "phq9",
        0,
        16,
    )
    answered(client, cast.tess, "phq9", [0] * 9)  # back to 0: off the list at once
    assert summaries.deteriorated(cast.bob).count == 0
    assert summaries.deteriorated(cast.charlie).count == 0  # another clinic sees nothing


def test_a_list_read_once_is_read_again_only_when_the_clinic_changed(cast: Cast):
    client = make_client(cast.harbour, family_name="Worsening")
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=20))
    answered(client, cast.tess, "phq9", [0] * 9, at=_ago(20))
    answered(client, cast.tess, "phq9", [2] * 8 + [0])
    assert summaries.deteriorated(cast.bob).count == 1
    with CaptureQueriesContext(connection) as queries:
        again = summaries.deteriorated(cast.bob)
        summaries.deteriorated(cast.alice)  # the clinic's list, whoever reads it
    assert again.count == 1
    assert len(queries) == 2  # the clinic's counter, once per read: no list query
    assert summaries.deteriorated(cast.charlie).count == 0  # another clinic's own list
    do_archive_client(actor_of(cast.bob), client)  # a write: read anew
    assert summaries.deteriorated(cast.bob).count == 0
    built = ClinicSummary.objects.get(clinic=cast.harbour).lists_built_at
    summaries.refresh_off_track(cast.harbour)  # a refit restamps the lists
    assert ClinicSummary.objects.get(clinic=cast.harbour).lists_built_at > built


def test_the_stored_list_uses_the_episodes_baseline_and_one_recall_period(cast: Cast):
    # Main's one-baseline cases (measures/tests/test_one_baseline.py), held to the live list.
    today = timezone.localdate()
    old = make_client(cast.harbour, family_name="OldCourse")
    make_episode(cast.harbour, old, started_on=today - dt.timedelta(days=30))
    answered(old, cast.tess, "phq9", [0] * 9, at=_ago(300))  # a course long ago
    answered(old, cast.tess, "phq9", [2] * 8 + [0], at=_ago(30))
    answered(old, cast.tess, "phq9", [2] * 8 + [0], at=_ago(1))
    soon = make_client(cast.harbour, family_name="TooSoon")
    make_episode(cast.harbour, soon, started_on=today - dt.timedelta(days=5))
    answered(soon, cast.tess, "phq9", [0] * 9, at=_ago(5))
    answered(soon, cast.tess, "phq9", [2] * 8 + [0])  # five days: less than a recall period
    no_episode = make_client(cast.harbour, family_name="NoEpisode")
    answered(no_episode, cast.tess, "phq9", [0] * 9, at=_ago(40))
    answered(no_episode, cast.tess, "phq9", [2] * 8 + [0])
    assert _stored_deteriorated(cast.bob) == _live_deteriorated(cast.bob) == set()
    # First score ever against the latest would have listed OldCourse and NoEpisode.
    episode = soon.episodes.get()
    episode.started_on -= dt.timedelta(days=20)
    episode.save(update_fields=["started_on"])  # an episode change rewrites the client's rows
    answered(soon, cast.tess, "phq9", [0] * 9, at=_ago(20))  # the new baseline, 20 days ago
    assert (
        _stored_deteriorated(cast.bob) == _live_deteriorated(cast.bob) == {(soon.pk, "phq9", 0, 16)}
    )


def test_a_clinic_that_chooses_other_criteria_gets_its_list_rejudged(cast: Cast):
    client = make_client(cast.harbour, family_name="Criteria")
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=30))
    answered(client, cast.tess, "phq9", SEVEN, at=_ago(30))
    answered(client, cast.tess, "phq9", TWELVE, at=_ago(2))
    # Jacobson & Truax: 7 -> 12 is a reliable deterioration.
    assert (
        _stored_deteriorated(cast.bob)
        == _live_deteriorated(cast.bob)
        == {(client.pk, "phq9", 7, 12)}
    )
    changes = ClinicSummary.objects.get(clinic=cast.harbour).changes
    cast.harbour.change_criteria = "nhs-talking-therapies"
    cast.harbour.save(update_fields=["change_criteria"])
    cast.bob.clinic.refresh_from_db()
    # NHS Talking Therapies: a PHQ-9 change of 5 is less than the reliable 6.
    assert _stored_deteriorated(cast.bob) == _live_deteriorated(cast.bob) == set()
    summary = ClinicSummary.objects.get(clinic=cast.harbour)
    assert summary.lists_criteria == "nhs-talking-therapies"
    assert summary.changes == changes + 1  # the stored reports are out of date too
    cast.harbour.save()  # saved again, same criteria: nothing rebuilt, nothing counted
    assert ClinicSummary.objects.get(clinic=cast.harbour).changes == changes + 1


def test_it_keeps_the_same_lists_as_computing_them_from_the_scores(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess, cast.alice], 60, seed=7, worsen=0.3)
    do_fit_trajectory(actor_of(cast.alice), cast.harbour, "phq9")
    do_fit_trajectory(actor_of(cast.alice), cast.harbour, "gad7")
    # Writes through the actions after the bulk build: the receivers keep the rows current.
    clients = list(Client.objects.filter(clinic=cast.harbour).order_by("pk"))
    for client in clients[:5]:
        answered(client, cast.tess, "phq9", [3] * 8 + [0])
    today = timezone.localdate()
    # A second, overlapping episode (listed once, with the later one), an ended episode and
    # an archived client: the reading query's choices, as the live computation's.
    for client in clients[:3]:
        make_episode(cast.harbour, client, started_on=today - dt.timedelta(days=25))
    ended = clients[5].episodes.get()
    ended.ended_on = today - dt.timedelta(days=1)
    ended.save(update_fields=["ended_on"])
    Client.objects.filter(pk=clients[6].pk).update(archived_at=timezone.now())
    stored = _stored_deteriorated(cast.bob)
    assert stored == _live_deteriorated(cast.bob)
    assert len(stored) > 5
    live = {(f.client.pk, f.instrument_id): f for f in trajectories.not_on_track(cast.bob)}
    kept = _stored(cast.bob, summaries.not_on_track)
    assert len(live) > 3
    assert len(kept) == len(live)  # each client once per instrument
    assert {(f.client.pk, f.instrument_id) for f in kept} == set(live)
    for a in kept:
        b = live[(a.client.pk, a.instrument_id)]
        assert (a.latest, a.baseline) == (b.latest, b.baseline)
        assert (a.expected, a.upper, a.weeks) == pytest.approx((b.expected, b.upper, b.weeks))
    distances = [abs(f.latest - f.upper) for f in kept]
    assert distances == sorted(distances, reverse=True)  # furthest outside the band first
    # A full rebuild gives the same rows as the row-by-row upkeep.
    summaries.refresh_lists(cast.harbour)
    assert _stored_deteriorated(cast.bob) == stored


def test_it_takes_a_questionnaire_off_the_due_list_when_it_is_done(cast: Cast):
    today = timezone.localdate()
    episode = make_episode(
        cast.harbour,
        make_client(cast.harbour, family_name="Planned"),
        started_on=today - dt.timedelta(days=20),
        plan_intake=["phq9", "gad7"],
        plan_periodic=["phq9"],
        plan_every_weeks=2,
    )
    due = summaries.questionnaires_due(cast.bob, today)
    assert {(d.instrument_id, d.reason, d.days_overdue) for d in due.items} == {
        ("phq9", "intake", 20),
        ("gad7", "intake", 20),
    }
    answered(episode.client, cast.tess, "phq9", [1] * 9)
    due = summaries.questionnaires_due(cast.bob, today)
    # PHQ-9 is next due in two weeks (periodic); GAD-7 still at intake.
    assert [(d.instrument_id, d.reason) for d in due.items] == [("gad7", "intake")]
    in_two_weeks = summaries.questionnaires_due(cast.bob, today + dt.timedelta(weeks=2))
    assert {(d.instrument_id, d.reason) for d in in_two_weeks.items} == {
        ("gad7", "intake"),
        ("phq9", "periodic"),
    }


def test_one_clients_due_list_is_the_clinics_cut_to_that_client(cast: Cast):
    # The client page reads one client's list its own, cheaper way; it must give the same
    # rows as the clinic's list, for a client visiting today (worked out live, per-visit
    # questionnaires included) and for one who is not (the stored rows).
    today = timezone.localdate()
    plan = {"plan_intake": ["phq9", "gad7"], "plan_periodic": ["phq9"], "plan_every_weeks": 2,
            "plan_each_visit": ["phq2"]}  # fmt: skip
    clients = []
    for name, days in (("Visiting", 30), ("Staying", 20), ("Other", 10)):
        client = make_client(cast.harbour, family_name=name)
        make_episode(cast.harbour, client, started_on=today - dt.timedelta(days=days), **plan)
        clients.append(client)
    make_visit(cast.harbour, clients[0], starts_at=timezone.now())
    make_visit(cast.harbour, clients[1], starts_at=timezone.now() - dt.timedelta(days=1))
    answered(clients[2], cast.tess, "gad7", [0] * 7)
    archived = make_client(cast.harbour, family_name="Archived")
    make_episode(cast.harbour, archived, started_on=today - dt.timedelta(days=5), **plan)
    make_visit(cast.harbour, archived, starts_at=timezone.now())
    Client.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    archived.refresh_from_db()
    whole = summaries.questionnaires_due(cast.bob, today, limit=100)
    for client, reasons in zip([*clients, archived],
                               ({"intake", "session"}, {"intake"}, {"intake"}, set()),
                               strict=True):  # fmt: skip
        mine = summaries.questionnaires_due(cast.bob, today, limit=100, client=client)
        expected = [d for d in whole.items if d.client.pk == client.pk]
        assert mine.items == expected and mine.count == len(expected)
        assert {d.reason for d in expected} == reasons
        page = summaries.questionnaires_due(cast.bob, today, offset=1, limit=1, client=client)
        assert (page.items, page.count) == (expected[1:2], len(expected))


def test_one_clients_due_list_builds_the_clinics_lists_if_they_never_were(cast: Cast):
    today = timezone.localdate()
    client = make_client(cast.harbour)
    make_episode(cast.harbour, client, started_on=today, plan_intake=["phq9"])
    DueQuestionnaire.objects.all().delete()  # as before the lists existed
    ClinicSummary.objects.filter(clinic=cast.harbour).update(lists_built_at=None)
    due = summaries.questionnaires_due(cast.bob, today, client=client)
    assert [(d.instrument_id, d.reason) for d in due.items] == [("phq9", "intake")]
    assert ClinicSummary.objects.get(clinic=cast.harbour).lists_built_at is not None


def test_it_pages_the_full_lists_and_links_them_from_the_home_page(cast: Cast):
    today = timezone.localdate()
    for i in range(14):
        make_episode(
            cast.harbour,
            make_client(cast.harbour, family_name=f"Due{i:02d}"),
            started_on=today - dt.timedelta(days=i),
            plan_intake=["phq9"],
        )
    home = cast.browser_for(cast.fiona).get("/").content.decode()
    assert '<span class="tile-count">14</span> Questionnaires due' in home
    assert "/outcomes/due/" in home
    assert home.count("Give now") == HOME_ROWS  # the first few; the link opens them all
    http = cast.browser_for(cast.fiona)
    first = http.get("/outcomes/due/").content.decode()
    assert "Due13" in first  # most overdue first
    names = [summaries.questionnaires_due(cast.fiona, today, offset=o, limit=5) for o in (0, 5, 10)]
    flat = [d.client.family_name for page in names for d in page.items]
    assert flat == [f"Due{i:02d}" for i in range(13, -1, -1)]
    assert AuditEvent.objects.filter(actor=cast.fiona.user, detail__startswith="due list").exists()
    assert http.get("/outcomes/deteriorated/").status_code == 403  # front desk reads no scores


@pytest.fixture
def stale_fit(cast: Cast) -> TrajectoryFit:
    build_outcomes(cast.harbour, [cast.tess], 40, seed=5)
    fit = do_fit_trajectory(actor_of(cast.alice), cast.harbour, "phq9")
    TrajectoryFit.objects.filter(pk=fit.pk).update(fitted_at=timezone.now() - dt.timedelta(days=30))
    return fit


def test_the_dashboard_never_fits_or_writes_in_a_get(cast: Cast, stale_fit: TrajectoryFit):
    http = cast.browser_for(cast.alice)
    http.get("/outcomes/")  # the first view of a clinic stores its report
    writes: list[str] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        for url in ("/outcomes/", "/outcomes/details/", "/outcomes/research/", "/",
                    "/outcomes/not-on-track/"):  # fmt: skip
            assert http.get(url).status_code == 200
    assert writes and all("audit_auditevent" in sql for sql in writes)
    fit = TrajectoryFit.objects.get(pk=stale_fit.pk)
    assert fit.fitted_at < timezone.now() - dt.timedelta(days=29)  # not refitted
    call_command("refresh-summaries", "--clinic", cast.harbour.slug, stdout=None)
    assert TrajectoryFit.objects.get(pk=stale_fit.pk).fitted_at > timezone.now() - dt.timedelta(
        minutes=5
    )


def test_a_large_clinic_sees_its_stored_figures_until_the_job_runs(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
):
    build_outcomes(cast.harbour, [cast.tess], 30, seed=2)
    http = cast.browser_for(cast.alice)
    http.get("/outcomes/")
    monkeypatch.setattr(summaries, "INLINE_REFRESH_SECONDS", 0.0)  # as if it took long
    answered(make_client(cast.harbour), cast.tess, "phq9", [1] * 9)
    page = http.get("/outcomes/").content.decode()
    assert "Figures as of" in page and "1 change to the clinic" in page
    call_command("refresh-summaries", stdout=None)
    summary = ClinicSummary.objects.get(clinic=cast.harbour)
    assert summary.report_changes == summary.changes
    assert "Figures as of" not in http.get("/outcomes/").content.decode()


def test_a_small_clinic_sees_fresh_figures_without_storing_them(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(summaries, "INLINE_REFRESH_SECONDS", 3600.0)  # as if it took no time
    build_outcomes(cast.harbour, [cast.tess], 30, seed=2)
    http = cast.browser_for(cast.alice)
    http.get("/outcomes/")
    before = ClinicSummary.objects.get(clinic=cast.harbour).report_changes
    answered(make_client(cast.harbour), cast.tess, "phq9", [1] * 9)
    assert "Figures as of" not in http.get("/outcomes/").content.decode()
    assert ClinicSummary.objects.get(clinic=cast.harbour).report_changes == before


def test_the_stored_report_reads_back_equal(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess, cast.alice], 40, seed=4)
    from_scores = summaries.clinic_outcomes(cast.harbour)
    for deidentified in (False, True):
        report = summaries.clinic_outcomes(cast.harbour, deidentified=deidentified)
        again = summaries.report_from_dict(report.to_dict())
        assert again.tables() == report.tables()
        assert again.instruments == report.instruments
    assert from_scores.n_episodes == 40


# --- not on track: linear in the number of scores ----------------------------------------


class Counted(np.ndarray):
    """An array that adds up the elements read by every boolean or fancy index."""

    reads = 0

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, np.ndarray) and key.dtype == bool:
            Counted.reads += key.size
        return super().__getitem__(key)


def _history(n_clients: int, per_client: int = 4) -> trajectories.History:
    rng = np.random.default_rng(1)
    client = np.repeat(np.arange(n_clients), per_client)
    weeks = np.tile(np.arange(1, per_client + 1, dtype=float) * 2, n_clients)
    baseline = np.repeat(rng.uniform(10, 20, n_clients), per_client)
    # Half the clients get much worse: a constant share flagged, whatever the size.
    worse = np.repeat(np.arange(n_clients) % 2 == 0, per_client)
    score = np.where(worse, baseline + 3 * weeks, baseline - weeks)
    now = timezone.now().timestamp()
    when = np.full(client.size, now - 86400.0)
    return trajectories.History(
        *(np.asarray(a).view(Counted) for a in (client, client, weeks, score, baseline, when))
    )  # one episode per client


def test_not_on_track_reads_each_score_a_fixed_number_of_times(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
):
    build_outcomes(cast.harbour, [cast.tess], 40, seed=5)
    do_fit_trajectory(actor_of(cast.alice), cast.harbour, "phq9")
    reads = {}
    for n in (500, 2000):
        data = _history(n)
        monkeypatch.setattr(trajectories, "history", lambda *a, data=data, **k: data)
        monkeypatch.setattr(trajectories.Client.objects, "for_member", lambda member: _NoClients())
        Counted.reads = 0
        trajectories.not_on_track(cast.bob)
        reads[n] = Counted.reads
    # Linear: four times the scores, four times the reads (the first version indexed the
    # whole history once per flagged client: sixteen times).
    assert reads[2000] <= 4.5 * reads[500]


class _NoClients:
    def filter(self, *args: Any, **kwargs: Any) -> _NoClients:
        return self

    def in_bulk(self, ids: Any) -> dict[int, Any]:
        return {}

    def __iter__(self) -> Iterator[Any]:
        return iter(())


# --- the dashboard's payer-grade measures: stored with the reports ------------------------


def _depression_clinic(cast: Cast, n: int = 14) -> None:
    """``n`` clients with a major-depression episode inside the last 12 months: completed
    visits and PHQ-9 totals (an index score of 12-20, a follow-up that remits for a third)."""
    today = timezone.localdate()
    for i in range(n):
        client = make_client(cast.harbour, family_name=f"Quality{i}")
        started = today - dt.timedelta(days=200 + i)
        ep = episode(cast.harbour, client, started.isoformat(), "F32.1")
        visit(ep, at(started.isoformat()))
        phq9(client, at(started.isoformat(), 11), 12 + i % 9)
        follow = started + dt.timedelta(days=150)
        visit(ep, at(follow.isoformat()))
        phq9(client, at(follow.isoformat(), 11), 3 if i % 3 == 0 else 11)


def _live_quality(cast: Cast, *, suppress: bool) -> dict[str, Any]:
    start, end = last_twelve_months(timezone.localdate())
    data = quality_measures(cast.harbour, start, end).to_dict(suppress=suppress)
    data.pop("generated_at")
    return data


def _without_time(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "generated_at"}


def test_the_stored_quality_measures_equal_the_live_computation(cast: Cast):
    _depression_clinic(cast)
    summaries.refresh_reports(cast.harbour)
    for suppress in (False, True):
        stored = summaries.stored_quality(cast.harbour, suppress=suppress)
        assert _without_time(stored) == _live_quality(cast, suppress=suppress)
    full = summaries.stored_quality(cast.harbour, suppress=False)
    dms = next(m for m in full["measures"] if m["measure_id"] == "DMS-E")
    assert any(r["initial_population"] for r in dms["rates"])  # not an empty clinic


def test_the_dashboard_get_reads_the_quality_measures_without_computing_them(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
):
    _depression_clinic(cast)
    http = cast.browser_for(cast.bob)
    http.get("/outcomes/")  # the first view of a clinic stores its reports and measures
    computed: list[Any] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        computed.append(args)
        return quality_measures(*args, **kwargs)

    monkeypatch.setattr(summaries, "quality_measures", counting)
    monkeypatch.setattr(views, "quality_measures", counting)
    with CaptureQueriesContext(connection) as queries:
        page = http.get("/outcomes/details/")
    assert page.status_code == 200 and computed == []
    tables = [q["sql"] for q in queries.captured_queries]
    assert not any("care_diagnosis" in sql for sql in tables)  # the measures' own reads
    assert "Depression Remission at Twelve Months" in page.content.decode()
    # A large clinic (stored figures until the job runs) does not compute them on a change
    # either; the job does.
    monkeypatch.setattr(summaries, "INLINE_REFRESH_SECONDS", 0.0)
    phq9(Client.objects.get(family_name="Quality0"), timezone.now(), 2)
    assert http.get("/outcomes/").status_code == 200 and computed == []
    call_command("refresh-summaries", "--clinic", cast.harbour.slug, stdout=None)
    assert len(computed) == 1
    stored = summaries.stored_quality(cast.harbour, suppress=False)
    assert _without_time(stored) == _live_quality(cast, suppress=False)


def test_the_owner_sees_the_stored_measures_with_small_cells_hidden(cast: Cast):
    _depression_clinic(cast, n=4)
    owner = cast.browser_for(cast.alice).get("/outcomes/details/").content.decode()
    clinician = cast.browser_for(cast.bob).get("/outcomes/details/").content.decode()
    assert "a count from 1 to 10: hidden" in owner
    assert "a count from 1 to 10: hidden" not in clinician


def test_stored_measures_of_an_earlier_day_are_recomputed_by_the_job(cast: Cast):
    _depression_clinic(cast, n=3)
    summaries.refresh_reports(cast.harbour)
    summary = ClinicSummary.objects.get(clinic=cast.harbour)
    old = dict(summary.quality, period={"start": "2025-01-01", "end": "2025-12-31"})
    ClinicSummary.objects.filter(pk=summary.pk).update(quality=old)
    result = summaries.refresh_clinic(actor_of(cast.alice), cast.harbour)
    assert result["reports_computed"]
    period = ClinicSummary.objects.get(clinic=cast.harbour).quality["period"]
    assert period["end"] == timezone.localdate().isoformat()


def test_new_change_criteria_recompute_the_stored_dashboard_report(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess, cast.alice], 40, seed=4)
    summaries.refresh_reports(cast.harbour)
    before = summaries.stored_report(cast.harbour, deidentified=False).report
    cast.harbour.change_criteria = "nhs-talking-therapies"
    cast.harbour.save(update_fields=["change_criteria"])
    summary = ClinicSummary.objects.get(clinic=cast.harbour)
    assert summary.report_changes == summary.changes  # stored again, at the new count
    stored = summaries.report_from_dict(summary.report)
    live = summaries.clinic_outcomes(cast.harbour)
    assert stored.tables() == live.tables()
    assert stored.tables() != before.tables()  # judged under the clinic's new criteria


def test_a_client_edit_puts_the_stored_reports_out_of_date(cast: Cast):
    """The identified report names clients and the payer-grade measures read their age: an
    edit (here a corrected date of birth) must not leave the stored figures looking current."""
    client = make_client(cast.harbour, family_name="Edited")
    summaries.refresh_reports(cast.harbour)
    summary = ClinicSummary.objects.get(clinic=cast.harbour)
    assert summary.report_changes == summary.changes
    do_update_client(actor_of(cast.alice), client, {"date_of_birth": dt.date(1990, 5, 1)})
    summary.refresh_from_db()
    assert summary.changes == summary.report_changes + 1


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland"])
def test_one_clients_history_equals_the_clinics_history_of_that_client(cast: Cast, zone: str):
    """The progress page reads one client's history without pandas; the clinic-wide read
    (the model's fit, the stored lists) with it: both give the same follow-ups."""
    build_outcomes(cast.harbour, [cast.tess], 12, seed=5, worsen=0.3)
    with timezone.override(zone):
        whole = trajectories.history(cast.harbour, "phq9")
        checked = 0
        for client_id in np.unique(whole.client):
            mine = trajectories.history(cast.harbour, "phq9", client_id=int(client_id))
            theirs = whole.client == client_id
            assert mine.client.tolist() == whole.client[theirs].tolist()
            assert mine.episode.tolist() == whole.episode[theirs].tolist()
            np.testing.assert_allclose(mine.weeks, whole.weeks[theirs], rtol=0, atol=1e-9)
            np.testing.assert_array_equal(mine.score, whole.score[theirs])
            np.testing.assert_array_equal(mine.baseline, whole.baseline[theirs])
            np.testing.assert_allclose(mine.when, whole.when[theirs], rtol=0, atol=1e-6)
            checked += mine.client.size
        assert checked == whole.client.size > 12
