"""Expected trajectories from the clinic's own history, and who is not on track.

The model (``science.trajectories``, checked against lme4) is
``score ~ weeks * baseline + (weeks | episode)``: the follow-up scores of each episode of
care, weeks since its baseline, baseline severity as covariate, a random intercept and slope
per episode (a client's course of care). Baseline and follow-ups are those of
``science.episodes.episode_pairs``, the one definition of every page and report: the episode's
first score within 30 days of its start, and the scores at least one recall period after it.
It is fitted on the clinic's completed PHQ-9 and GAD-7 scores, stored as a ``TrajectoryFit``
row (parameters only) by ``outcomes.actions`` — refitted by ``touchstone refresh-summaries``
when older than :data:`FIT_MAX_AGE`, or by ``touchstone fit-trajectories``; never inside a
page request.

* :func:`client_trajectories` — the panel on a client's progress page (one query per page
  besides the stored fits).
* :func:`off_track_rows` — episodes whose latest follow-up is worse than their expected band
  (one query per instrument, linear in the number of scores); ``outcomes.summaries`` stores
  them for the home page and the dashboard, and :func:`not_on_track` is the live reference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.care.models import Episode
from touchstone.clients.models import Client
from touchstone.lib.html import table_rows
from touchstone.measures.instruments import instrument, short_name
from touchstone.measures.models import Administration, Status
from touchstone.outcomes.analytics import raw_frame
from touchstone.outcomes.models import TrajectoryFit
from touchstone.science.episodes import ELIGIBLE, episode_pairs
from touchstone.science.trajectories import DEFAULT_LEVEL, TrajectoryModel, fit_trajectory_model
from touchstone.science.trajectories.params import band_at, model_from_params

#: Instruments with an expected-trajectory model.
TRAJECTORY_INSTRUMENTS = ("phq9", "gad7")
#: A stored fit older than this is refitted by `touchstone refresh-summaries` (a page never fits).
FIT_MAX_AGE = dt.timedelta(days=7)
#: Fewest clients with a follow-up before the clinic's model is used. The science core
#: accepts 5 (lme4's floor for a random factor); an expected band for clinical feedback needs
#: a broader history, so Touchstone waits for 20 (a design choice, not a published rule).
MIN_FIT_CLIENTS = 20
#: Follow-ups more than this many weeks after the baseline are left out of the fit (the
#: band is for a course of care, and a linear slope does not hold for years).
HORIZON_WEEKS = 26
#: A client is "active" when their latest score is at most this many weeks old.
ACTIVE_WEEKS = 8
_WEEK = 7 * 86400.0


@dataclass(frozen=True)
class History:
    """Follow-up observations of one instrument: client, episode (the model's group), weeks
    since the episode's baseline, score, baseline (repeated per row), and the time of the
    observation (UTC seconds)."""

    client: np.ndarray
    episode: np.ndarray
    weeks: np.ndarray
    score: np.ndarray
    baseline: np.ndarray
    when: np.ndarray


def _empty() -> History:
    empty = np.empty(0)
    return History(empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty, empty)


#: An episode of care as :func:`history` reads it: id, client, first day, last day (or None).
Span = tuple[int, int, dt.date, dt.date | None]
#: A completed score as :func:`history` reads it: client, total, when completed.
Score = tuple[int, int, dt.datetime]


def history(clinic: Clinic, instrument_id: str, client_id: int | None = None) -> History:
    """Eligible follow-ups against their episode's baseline (two queries: episodes, scores).

    ``science.episodes.episode_pairs`` places each completed score in its episode: only
    scores at least one recall period after the baseline, and at most :data:`HORIZON_WEEKS`
    after it, are follow-ups.
    """
    episodes = Episode.objects.filter(clinic=clinic)
    rows = Administration.objects.filter(
        clinic=clinic,
        instrument_id=instrument_id,
        status=Status.COMPLETED,
        total__isnull=False,
        completed_at__isnull=False,
    )
    if client_id is not None:
        episodes = episodes.filter(client_id=client_id)
        rows = rows.filter(client_id=client_id)
    spans = list(episodes.values_list("id", "client_id", "started_on", "ended_on"))
    ordered = rows.order_by("client_id", "completed_at", "pk")
    if client_id is not None:
        read = ordered.values_list("client_id", "total", "completed_at")
        return client_history(instrument_id, spans, cast("list[Score]", list(read)))
    zone = timezone.get_current_timezone()
    data = raw_frame(
        ordered.values_list("client_id", "total", "completed_at"), ["client", "total", "when"]
    )
    if data.empty or not spans:
        return _empty()
    when = pd.to_datetime(data["when"], utc=True, format="ISO8601")
    local = when.dt.tz_convert(zone).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    stamp = (when - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()
    score = data["total"].to_numpy(dtype=np.float64)
    clients = data["client"].to_numpy(dtype=np.int64)
    return _follow_ups(instrument_id, spans, clients, local, stamp, score)


def client_history(instrument_id: str, spans: list[Span], scores: list[Score]) -> History:
    """:func:`history` of one client's few scores, already read (completed, with a total,
    oldest first): plain numpy on Django's datetimes, no query; pandas costs milliseconds
    per call whatever the size."""
    if not scores or not spans:
        return _empty()
    zone = timezone.get_current_timezone()
    clients = np.array([c for c, _, _ in scores], dtype=np.int64)
    score = np.array([t for _, t, _ in scores], dtype=np.float64)
    stamp = np.array([w.timestamp() for _, _, w in scores])
    local = np.array(
        [w.astimezone(zone).replace(tzinfo=None) for _, _, w in scores], dtype="datetime64[ns]"
    )
    return _follow_ups(instrument_id, spans, clients, local, stamp, score)


def _follow_ups(
    instrument_id: str,
    spans: list[Span],
    clients: np.ndarray,
    local: np.ndarray,
    stamp: np.ndarray,
    score: np.ndarray,
) -> History:
    pairs = episode_pairs(
        np.array([c for _, c, _, _ in spans], dtype=np.int64),
        np.array([start for _, _, start, _ in spans], dtype="datetime64[D]"),
        np.array([end for _, _, _, end in spans], dtype="datetime64[D]"),
        clients,
        local,
        score,
        min_days=instrument(instrument_id).min_followup_days,
        until=np.datetime64(timezone.localdate(), "D"),
    )
    members = pairs.members()
    weeks = (stamp[members.score] - stamp[members.baseline]) / _WEEK
    keep = (members.status == ELIGIBLE) & (weeks <= HORIZON_WEEKS)
    episode_ids = np.array([e for e, _, _, _ in spans], dtype=np.int64)
    index = members.score[keep]
    return History(
        client=clients[index],
        episode=episode_ids[members.episode[keep]],
        weeks=weeks[keep],
        score=score[index],
        baseline=score[members.baseline[keep]],
        when=stamp[index],
    )


def fit_model(clinic: Clinic, instrument_id: str) -> tuple[TrajectoryModel, History]:
    """Fit the clinic's model (raises ``ValueError`` when the history is too thin)."""
    data = history(clinic, instrument_id)
    n_clients = int(np.unique(data.client).size)
    if n_clients < MIN_FIT_CLIENTS:
        raise ValueError(
            f"{n_clients} clients with a follow-up {instrument_id} score; "
            f"an expected trajectory needs at least {MIN_FIT_CLIENTS}"
        )
    model = fit_trajectory_model(
        data.score, data.weeks, data.episode, data.baseline, time_by_baseline=True
    )
    return model, data


def stored_models(clinic: Clinic) -> dict[str, TrajectoryModel]:
    """The clinic's usable models by instrument (``outcomes.actions`` fits and stores them)."""
    fits = TrajectoryFit.objects.filter(clinic=clinic)
    return {fit.instrument_id: model_from_params(fit.params) for fit in fits if fit.params}


# --- a client's panel ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrajectoryPanel:
    instrument_id: str
    title: str
    baseline: float
    rows: list[dict[str, Any]]
    latest_not_on_track: bool
    level: float
    spec: dict[str, Any]

    @property
    def chart_id(self) -> str:
        return f"trajectory-{self.instrument_id}"

    @property
    def table_rows(self) -> SafeString:
        """The table alternative: date, weeks, score, expected, band, status per follow-up."""
        return table_rows(
            (r["date"], r["week"], f"{r['score']:.0f}", r["expected"],
             f"{localize(r['lower'])} – {localize(r['upper'])}", r["status"])
            for r in self.rows
        )  # fmt: skip


def _spec(instrument_id: str, grid: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict:
    d = instrument(instrument_id)
    y = {"type": "quantitative", "scale": {"domain": [d.total_min, d.total_max]}}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": f"{d.title}: observed scores against the expected band",
        "width": "container",
        "height": 220,
        "layer": [
            {
                "data": {"values": grid},
                "mark": {"type": "area", "opacity": 0.25, "color": "#2d6a75"},
                "encoding": {
                    "x": {"field": "week", "type": "quantitative", "title": "Weeks since baseline"},
                    "y": {"field": "lower", **y, "title": f"{short_name(instrument_id)} total"},
                    "y2": {"field": "upper"},
                },
            },
            {
                "data": {"values": grid},
                "mark": {"type": "line", "strokeDash": [4, 3], "color": "#2d6a75"},
                "encoding": {
                    "x": {"field": "week", "type": "quantitative"},
                    "y": {"field": "expected", **y},
                },
            },
            {
                "data": {"values": rows},
                "mark": {"type": "line", "point": {"filled": True, "size": 70}, "color": "#1f2a30"},
                "encoding": {
                    "x": {"field": "week", "type": "quantitative"},
                    "y": {"field": "score", **y},
                    "tooltip": [
                        {"field": "week"},
                        {"field": "score"},
                        {"field": "expected"},
                        {"field": "status"},
                    ],
                },
            },
        ],
    }


def client_trajectories(
    member: StaffMember,
    client: Client,
    administrations: Iterable[Administration] | None = None,
    episodes: Iterable[tuple[int, dt.date, dt.date | None]] | None = None,
) -> list[TrajectoryPanel]:
    """Panels for the client's progress page: the follow-ups of their current episode (the
    latest with a baseline, ``science.episodes``) against the expected band.

    One query (the stored fits) when the caller passes the client's ``administrations``
    and ``episodes`` (id, first day, last day) it has read already (the progress page);
    otherwise two more per instrument."""
    models = stored_models(member.clinic)
    if not models:
        return []
    known = administrations is not None and episodes is not None
    # As history() reads them: episodes newest first, scores oldest first.
    spans = sorted(
        ((e, client.pk, start, end) for e, start, end in episodes or ()),
        key=lambda s: (s[2], s[0]),
        reverse=True,
    )
    completed = sorted(
        (
            (a.instrument_id, (client.pk, a.total, a.completed_at), a.pk)
            for a in administrations or ()
            if a.status == Status.COMPLETED and a.total is not None and a.completed_at
        ),
        key=lambda row: (row[1][2], row[2]),
    )
    panels = []
    for instrument_id, model in models.items():
        if known:
            scores = [score for i, score, _ in completed if i == instrument_id]
            data = client_history(instrument_id, spans, scores)
        else:
            data = history(member.clinic, instrument_id, client_id=client.pk)
        if data.episode.size == 0:
            continue
        mine = data.episode == data.episode[np.argmax(data.when)]  # the current episode
        weeks, scores, stamps = data.weeks[mine], data.score[mine], data.when[mine]
        base = float(data.baseline[mine][0])
        expected, lower, upper = band_at(model, weeks, base)
        higher = instrument(instrument_id).change.direction == "higher_is_better"
        worse = scores < lower if higher else scores > upper
        table = [
            {
                "date": timezone.localdate(
                    dt.datetime.fromtimestamp(float(stamp), tz=dt.UTC)
                ).isoformat(),
                "week": round(float(w), 1),
                "score": float(sc),
                "expected": round(float(e), 1),
                "lower": round(float(lo), 1),
                "upper": round(float(hi), 1),
                "status": "not on track" if bad else "on track",
            }
            for stamp, w, sc, e, lo, hi, bad in zip(
                stamps, weeks, scores, expected, lower, upper, worse, strict=True
            )
        ]
        span = max(float(weeks.max()), 12.0)
        grid_weeks = np.linspace(0, span, 25)
        g_exp, g_lo, g_hi = band_at(model, grid_weeks, base)
        grid = [
            {
                "week": round(float(w), 2),
                "expected": float(e),
                "lower": float(lo),
                "upper": float(hi),
            }
            for w, e, lo, hi in zip(grid_weeks, g_exp, g_lo, g_hi, strict=True)
        ]
        panels.append(
            TrajectoryPanel(
                instrument_id=instrument_id,
                title=instrument(instrument_id).title,
                baseline=base,
                rows=table,
                latest_not_on_track=bool(worse[-1]),
                level=DEFAULT_LEVEL,
                spec=_spec(instrument_id, grid, table),
            )
        )
    return panels


# --- the "not on track" list --------------------------------------------------------------


@dataclass(frozen=True)
class OffTrack:
    client: Client
    instrument_id: str
    baseline: float
    latest: float
    expected: float
    upper: float
    weeks: float


@dataclass(frozen=True)
class OffTrackRow:
    """One episode whose latest follow-up is outside the band (no client object: ids only)."""

    client_id: int
    episode_id: int
    instrument_id: str
    baseline: float
    latest: float
    expected: float
    limit: float
    weeks: float
    when: float  # seconds since the epoch (UTC)

    @property
    def distance(self) -> float:
        return abs(self.latest - self.limit)


def latest_off_track(
    data: History, model: TrajectoryModel, instrument_id: str
) -> list[OffTrackRow]:
    """Each episode's latest follow-up in ``data`` that is worse than its expected band (a
    client with two episodes may give two rows; the readers list each client once).

    Linear in the number of observations: one pass of whole-array operations, whatever the
    number of clients flagged (the first version indexed the whole history once per flagged
    client, quadratic at a clinic's scale).
    """
    if data.client.size == 0:
        return []
    last = np.flatnonzero(np.r_[data.episode[1:] != data.episode[:-1], True])
    client, episode, weeks = data.client[last], data.episode[last], data.weeks[last]
    scores, base, when = data.score[last], data.baseline[last], data.when[last]
    expected, lower, upper = band_at(model, weeks, base)
    higher = instrument(instrument_id).change.direction == "higher_is_better"
    worse = scores < lower if higher else scores > upper
    limit = lower if higher else upper
    return [
        OffTrackRow(int(c), int(ep), instrument_id, float(b), float(s), float(e), float(lim),
                    float(w), float(t))
        for c, ep, b, s, e, lim, w, t in zip(
            client[worse], episode[worse], base[worse], scores[worse], expected[worse],
            limit[worse], weeks[worse], when[worse], strict=True,
        )
    ]  # fmt: skip


def off_track_rows(clinic: Clinic, client_id: int | None = None) -> list[OffTrackRow]:
    """Clients of ``clinic`` (or the one client) whose latest follow-up is outside the band of
    the clinic's stored model, whenever it was taken (one query per instrument with a model,
    plus the stored fits)."""
    found: list[OffTrackRow] = []
    for instrument_id, model in stored_models(clinic).items():
        found += latest_off_track(history(clinic, instrument_id, client_id), model, instrument_id)
    return found


def not_on_track(member: StaffMember) -> list[OffTrack]:
    """Active clients (a follow-up in the last :data:`ACTIVE_WEEKS` weeks) whose latest score
    is worse than their expected band, furthest outside first, computed from the scores.

    The home page and the dashboard read the same list from the stored summaries
    (``outcomes.summaries``), kept current after each score; this live computation is their
    reference. Fixed query count: the stored fits, one history query per instrument and one
    for the clients.
    """
    cutoff = (timezone.now() - dt.timedelta(weeks=ACTIVE_WEEKS)).timestamp()
    found = [row for row in off_track_rows(member.clinic) if row.when >= cutoff]
    clients = {
        c.pk: c
        for c in Client.objects.for_member(member).filter(
            archived_at__isnull=True, pk__in={row.client_id for row in found}
        )
    }
    rows = [
        OffTrack(clients[r.client_id], r.instrument_id, r.baseline, r.latest, r.expected,
                 r.limit, r.weeks)
        for r in found
        if r.client_id in clients
    ]  # fmt: skip
    # Furthest outside the band first; a client with two open episodes is listed once.
    rows.sort(key=lambda f: -abs(f.latest - f.upper))
    seen: set[tuple[int, str]] = set()
    unique = []
    for row in rows:
        if (row.client.pk, row.instrument_id) not in seen:
            seen.add((row.client.pk, row.instrument_id))
            unique.append(row)
    return unique
