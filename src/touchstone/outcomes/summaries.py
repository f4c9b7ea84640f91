"""Per-clinic summaries: what the home page and the outcomes dashboard read instead of
recomputing clinic-wide analytics on every view (at 10,000 clients that cost 1.3-2.3 s of CPU
per view).

What is stored (``outcomes.models``) and when it is brought up to date:

* **Client lists** — :class:`FlaggedCourse` rows, one per episode of care (reliable
  deterioration on a watched instrument: the episode's follow-up against its baseline,
  ``science.episodes``, under the clinic's change criteria; not on track: the episode's latest
  follow-up outside the band of the clinic's stored trajectory model) and
  :class:`DueQuestionnaire` rows (the day each open episode's intake or periodic
  questionnaire falls due next, ``care.plans.next_due``). They are
  rewritten **for one client** in the same transaction as every completed score and every
  episode change (:func:`refresh_client`, called by the receivers in ``outcomes.receivers``:
  a few queries over that client's rows), and **for the whole clinic** when its trajectory
  model is refitted, by ``touchstone refresh-summaries`` and on first use
  (:func:`refresh_lists`, vectorised), and when the clinic chooses other change criteria.
  What depends on the date is left to the reading query: episodes open today, "active" (a
  score in the last 8 weeks), "due by today", archived clients, one row per client and
  instrument; per-visit questionnaires of today's visitors (not those given today) are worked
  out when the list is read. ``measures.selectors.reliably_deteriorated`` and
  ``trajectories.not_on_track`` compute the same lists from the scores: the references the
  tests hold the stored lists to.
* **The dashboard's reports** (no filters; identified and de-identified) and its
  **payer-grade measures** (``outcomes.quality``: DMS-E, DRR-E, CMS159 over the 12 months to
  the day they were computed; in full and with counts from 1 to 10 hidden) are stored as JSON
  in :class:`ClinicSummary` with the clinic's change counter at the time (``changes``, raised
  by every write of a score, visit, episode or diagnosis). A page reads the stored figures;
  when they are out of date (changes since, or the measures' period ends before today) they
  are recomputed in the request only if the last computation took less than
  :data:`INLINE_REFRESH_SECONDS` (a small clinic), otherwise the page shows the stored
  figures with their time (the measures with their period) and ``touchstone
  refresh-summaries`` (cron, or the job runner when it comes: :func:`refresh_clinic` is the
  task) brings them up to date. Filtered views are computed on request. A clinic that chooses
  other change criteria gets its stored reports recomputed at once, with its lists.

A trajectory fit never runs inside a page request: ``refresh-summaries`` refits models older
than ``trajectories.FIT_MAX_AGE``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.audit.actor import Actor
from touchstone.care.models import Episode, Visit, VisitStatus
from touchstone.care.plans import ALLIANCE_INSTRUMENT, instruments_due, next_due
from touchstone.care.selectors import day_bounds
from touchstone.clients.models import Client
from touchstone.lib.wall_clock import local_minutes
from touchstone.logs import get_logger
from touchstone.measures.instruments import administrable, instrument
from touchstone.measures.models import Administration, Status
from touchstone.measures.selectors import WATCHED, Deterioration, Due
from touchstone.outcomes import actions
from touchstone.outcomes.analytics import (
    OutcomesReport,
    clinic_outcomes,
    raw_frame,
    report_from_dict,
)
from touchstone.outcomes.models import ClinicSummary, DueQuestionnaire, Flag, FlaggedCourse
from touchstone.outcomes.quality import last_twelve_months, quality_measures
from touchstone.outcomes.signals import summaries_refreshed
from touchstone.outcomes.trajectories import (
    ACTIVE_WEEKS,
    OffTrack,
    OffTrackRow,
    off_track_rows,
)
from touchstone.portal.selectors import delivery_states, filled_for_visits
from touchstone.science.change_batch import CLASSES, change_batch
from touchstone.science.episodes import episode_pairs

log = get_logger(__name__)

#: A stored report that is out of date is recomputed inside the page request only when its
#: last computation took less than this (a small clinic); larger clinics see the stored
#: figures, with their time, until ``touchstone refresh-summaries`` runs.
INLINE_REFRESH_SECONDS = 0.5
_DETERIORATED = CLASSES.index("deteriorated")
#: The end of an open episode's window in the stored lists: after every score.
_OPEN_END = np.datetime64("9999-12-31", "D")


# --- the change counter -------------------------------------------------------------------


def summary_of(clinic_id: int) -> ClinicSummary:
    summary, _ = ClinicSummary.objects.get_or_create(clinic_id=clinic_id)
    return summary


def start_summaries(clinic: Clinic) -> None:
    """A new clinic: its (empty) lists are current from the start."""
    ClinicSummary.objects.get_or_create(
        clinic=clinic,
        defaults={"lists_built_at": timezone.now(), "lists_criteria": clinic.change_criteria},
    )


def note_change(clinic_id: int) -> None:
    """Count one clinical change of the clinic (one UPDATE; the row is made on first use)."""
    if not ClinicSummary.objects.filter(clinic_id=clinic_id).update(
        changes=F("changes") + 1, changed_at=timezone.now()
    ):
        ClinicSummary.objects.get_or_create(clinic_id=clinic_id, defaults={"changes": 1})


# --- computing the lists ------------------------------------------------------------------


def _open_on(today: dt.date, prefix: str = "") -> Q:
    """Episodes open on ``today`` (started, not yet ended), as a filter."""
    return Q(**{f"{prefix}started_on__lte": today}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gte": today})
    )


def _deteriorated(clinic: Clinic, client_id: int | None) -> list[FlaggedCourse]:
    """Episodes of care whose follow-up is reliably worse than the episode's baseline, per
    watched instrument: ``science.episodes.episode_pairs`` (the one baseline, a follow-up at
    least one recall period after it) and ``science.change_batch`` under the clinic's change
    criteria, exactly as ``measures.selectors.reliably_deteriorated`` (the live reference)
    computes them. Kept for every episode that may still be open (not ended before today);
    which are open on the day the list is read, and one row per client and instrument, is
    left to the reading query (:func:`deteriorated`). An open episode's window runs to its
    latest score (:data:`_OPEN_END`): the live computation ends it on the day it is read, and
    no score is dated after that, so the rows stay right on every later day until the next
    write rewrites them (a score written with a clock set back, as a test's, still counts).
    Two queries, whole arrays."""
    today = timezone.localdate()
    episodes = Episode.objects.filter(clinic_id=clinic.pk).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=today)
    )
    scores = Administration.objects.filter(
        clinic_id=clinic.pk,
        status=Status.COMPLETED,
        instrument_id__in=WATCHED,
        total__isnull=False,
    )
    if client_id is not None:
        episodes = episodes.filter(client_id=client_id)
        scores = scores.filter(client_id=client_id)
    spans = list(episodes.order_by("pk").values_list("id", "client_id", "started_on", "ended_on"))
    if not spans:
        return []
    frame = raw_frame(
        scores.filter(client_id__in=episodes.values("client_id"))
        .order_by("completed_at", "pk")
        .values_list("instrument_id", "client_id", "total", "completed_at"),
        ["instrument_id", "client_id", "total", "when"],
    )
    if frame.empty:
        return []
    e_id = np.array([e for e, _, _, _ in spans], dtype=np.int64)
    e_client = np.array([c for _, c, _, _ in spans], dtype=np.int64)
    e_start = np.array([start for _, _, start, _ in spans], dtype="datetime64[D]")
    e_end = np.array([end for _, _, _, end in spans], dtype="datetime64[D]")
    kinds = frame["instrument_id"].to_numpy(dtype=object)
    client = frame["client_id"].to_numpy(dtype=np.int64)
    total = frame["total"].to_numpy(dtype=float)
    local = local_minutes(frame["when"])
    when = pd.to_datetime(frame["when"], utc=True, format="ISO8601")
    out: list[FlaggedCourse] = []
    for instrument_id in WATCHED:
        mine = np.flatnonzero(kinds == instrument_id)
        if mine.size == 0:
            continue
        definition = instrument(instrument_id)
        pairs = episode_pairs(
            e_client, e_start, e_end, client[mine], local[mine], total[mine],
            min_days=definition.min_followup_days, until=_OPEN_END,
        )  # fmt: skip
        paired = np.flatnonzero(pairs.paired)
        if paired.size == 0:
            continue
        batch = change_batch(
            definition, pairs.pre[paired], pairs.post[paired], criteria=clinic.change_criteria
        )
        for e in paired[batch.classification == _DETERIORATED].tolist():
            pre, post = float(pairs.pre[e]), float(pairs.post[e])
            out.append(
                FlaggedCourse(
                    clinic_id=clinic.pk,
                    client_id=int(e_client[e]),
                    episode_id=int(e_id[e]),
                    instrument_id=instrument_id,
                    flag=Flag.DETERIORATED,
                    baseline=pre,
                    latest=post,
                    latest_at=when.iloc[int(mine[pairs.followup[e]])].to_pydatetime(),
                    distance=abs(post - pre),
                )
            )
    return out


def _off_track(clinic: Clinic, client_id: int | None) -> list[FlaggedCourse]:
    def row(r: OffTrackRow) -> FlaggedCourse:
        return FlaggedCourse(
            clinic_id=clinic.pk,
            client_id=r.client_id,
            episode_id=r.episode_id,
            instrument_id=r.instrument_id,
            flag=Flag.OFF_TRACK,
            baseline=r.baseline,
            latest=r.latest,
            latest_at=dt.datetime.fromtimestamp(r.when, tz=dt.UTC),
            weeks=r.weeks,
            expected=r.expected,
            limit=r.limit,
            distance=r.distance,
        )

    return [row(r) for r in off_track_rows(clinic, client_id)]


def _due(clinic_id: int, client_id: int | None) -> list[DueQuestionnaire]:
    """The next due day of each open episode's intake and periodic questionnaires (two
    queries: the episodes with a plan, the last completion per client and instrument)."""
    episodes = Episode.objects.filter(clinic_id=clinic_id)
    done = Administration.objects.filter(clinic_id=clinic_id, status=Status.COMPLETED)
    if client_id is not None:
        episodes = episodes.filter(client_id=client_id)
        done = done.filter(client_id=client_id)
    last: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    for cid, instrument_id, when in (
        done.filter(completed_at__isnull=False)
        .values("client_id", "instrument_id")
        .annotate(last=Max("completed_at"))
        .values_list("client_id", "instrument_id", "last")
        .order_by()
    ):
        last[cid][instrument_id] = when
    out: list[DueQuestionnaire] = []
    fields = ("id", "client_id", "started_on", "ended_on", "plan_intake", "plan_periodic",
              "plan_every_weeks")  # fmt: skip
    for episode in episodes.only(*fields).order_by("pk"):
        completed = {
            key: day
            for key, when in last[episode.client_id].items()
            if (day := timezone.localdate(when)) >= episode.started_on
        }
        for instrument_id, reason, due_on in next_due(episode, completed):
            out.append(
                DueQuestionnaire(
                    clinic_id=clinic_id,
                    client_id=episode.client_id,
                    episode_id=episode.pk,
                    instrument_id=instrument_id,
                    reason=reason,
                    due_on=due_on,
                )
            )
    return out


_batch = threading.local()


@contextmanager
def batched_summaries() -> Iterator[None]:
    """Inside the block, changed clients are collected and each one's rows rewritten once, at
    the end of the block (an import of many responses for one client: one rewrite, not one
    per response). Use it inside the import's transaction."""
    if getattr(_batch, "pending", None) is not None:
        yield  # already batching
        return
    pending: dict[tuple[int, int], Clinic] = {}
    _batch.pending = pending
    try:
        yield
        for (_, client_id), clinic in pending.items():
            refresh_client(clinic, client_id)
    finally:
        _batch.pending = None


def client_changed(clinic: Clinic, client_id: int) -> None:
    """A score or episode of the client changed: rewrite their rows now, or at the end of the
    current :func:`batched_summaries` block."""
    pending = getattr(_batch, "pending", None)
    if pending is None:
        refresh_client(clinic, client_id)
    else:
        pending[(clinic.pk, client_id)] = clinic


def refresh_client(clinic: Clinic, client_id: int) -> None:
    """Rewrite one client's rows of the lists (a few queries over that client's own rows).

    Called in the transaction of every completed score and episode change, so the lists
    change with the data they come from. Days are the clinic's (its time zone), as on its
    pages.
    """
    with timezone.override(clinic.zone), transaction.atomic():
        FlaggedCourse.objects.filter(clinic_id=clinic.pk, client_id=client_id).delete()
        DueQuestionnaire.objects.filter(clinic_id=clinic.pk, client_id=client_id).delete()
        FlaggedCourse.objects.bulk_create(
            _deteriorated(clinic, client_id) + _off_track(clinic, client_id)
        )
        DueQuestionnaire.objects.bulk_create(_due(clinic.pk, client_id))


def refresh_off_track(clinic: Clinic) -> None:
    """Rewrite the clinic's "not on track" rows (after its trajectory model was refitted)."""
    with timezone.override(clinic.zone), transaction.atomic():
        FlaggedCourse.objects.filter(clinic_id=clinic.pk, flag=Flag.OFF_TRACK).delete()
        FlaggedCourse.objects.bulk_create(_off_track(clinic, None), batch_size=500)
        # Restamped, so no list read under the old model is served again (_read_once).
        ClinicSummary.objects.filter(clinic_id=clinic.pk, lists_built_at__isnull=False).update(
            lists_built_at=timezone.now()
        )


def refresh_lists(clinic: Clinic) -> None:
    """Rebuild every list of the clinic from its scores and episodes (vectorised: a few
    queries whatever the clinic's size)."""
    started = time.perf_counter()
    with timezone.override(clinic.zone):
        flagged = _deteriorated(clinic, None) + _off_track(clinic, None)
        due = _due(clinic.pk, None)
    with transaction.atomic():
        FlaggedCourse.objects.filter(clinic_id=clinic.pk).delete()
        DueQuestionnaire.objects.filter(clinic_id=clinic.pk).delete()
        FlaggedCourse.objects.bulk_create(flagged, batch_size=500)
        DueQuestionnaire.objects.bulk_create(due, batch_size=500)
        summary_of(clinic.pk)
        ClinicSummary.objects.filter(clinic_id=clinic.pk).update(
            lists_built_at=timezone.now(), lists_criteria=clinic.change_criteria
        )
    log.info(
        "summary_lists_built",
        clinic_id=clinic.pk,
        flagged=len(flagged),
        due=len(due),
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def clinic_saved(clinic: Clinic) -> None:
    """The clinic's settings were saved: a new choice of change criteria (``Clinic.
    change_criteria``) rebuilds the lists it judges and counts as a change, so the stored
    reports are recomputed too (one query when the criteria are unchanged)."""
    summary = ClinicSummary.objects.filter(clinic_id=clinic.pk).first()
    if summary is None or summary.lists_criteria == clinic.change_criteria:
        return
    if summary.lists_built_at is not None:
        refresh_lists(clinic)
    else:
        ClinicSummary.objects.filter(clinic_id=clinic.pk).update(
            lists_criteria=clinic.change_criteria
        )
    note_change(clinic.pk)
    if summary.report is not None:
        # Figures judged under the old criteria are not shown as if under the new ones.
        refresh_reports(clinic)


# --- the dashboard's stored reports -------------------------------------------------------


def _quality_today(clinic: Clinic) -> Any:
    """The payer-grade measures over the 12 months to the clinic's today (its time zone, as
    on its pages): ``outcomes.quality.quality_measures``, four queries."""
    with timezone.override(clinic.zone):
        return quality_measures(clinic, *last_twelve_months(timezone.localdate()))


def refresh_reports(clinic: Clinic) -> ClinicSummary:
    """Compute and store the dashboard's unfiltered reports and payer-grade measures at the
    clinic's current count. ``report_seconds`` is what one dashboard view would cost to
    recompute them (a report and the measures)."""
    changes = summary_of(clinic.pk).changes
    started = time.perf_counter()
    report = clinic_outcomes(clinic)
    research = clinic_outcomes(clinic, deidentified=True)
    measured = time.perf_counter()
    quality = _quality_today(clinic)
    seconds = (measured - started) / 2 + (time.perf_counter() - measured)
    ClinicSummary.objects.filter(clinic_id=clinic.pk).update(
        report=report.to_dict(),
        research_report=research.to_dict(),
        quality=quality.to_dict(),
        quality_suppressed=quality.to_dict(suppress=True),
        report_changes=changes,
        report_at=timezone.now(),
        report_seconds=seconds,
    )
    log.info(
        "summary_reports_built",
        clinic_id=clinic.pk,
        episodes=report.n_episodes,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return summary_of(clinic.pk)


def _quality_current(summary: ClinicSummary, today: dt.date) -> bool:
    """Whether the stored measures are those of today: computed at the current count, over
    the period that ends today."""
    return (
        summary.quality is not None
        and summary.report_changes == summary.changes
        and summary.quality["period"]["end"] == today.isoformat()
    )


@dataclass(frozen=True)
class StoredReport:
    report: OutcomesReport
    current: bool  # False: changes came after it; ``refresh-summaries`` will catch up
    computed_at: dt.datetime
    changes_since: int


def stored_report(clinic: Clinic, *, deidentified: bool) -> StoredReport:
    """The dashboard's unfiltered report, as stored.

    Stored here only the first time (no report yet). An out-of-date report is recomputed for
    this view, without storing it, when that is cheap (the last computation took less than
    :data:`INLINE_REFRESH_SECONDS`); otherwise the stored one is shown with its time.
    """
    summary = summary_of(clinic.pk)
    if summary.report is None or summary.quality is None:
        summary = refresh_reports(clinic)
    stale = summary.report_changes != summary.changes
    if stale and summary.report_seconds < INLINE_REFRESH_SECONDS:
        return StoredReport(
            clinic_outcomes(clinic, deidentified=deidentified), True, timezone.now(), 0
        )
    data = summary.research_report if deidentified else summary.report
    assert data is not None and summary.report_at is not None  # stored above
    return StoredReport(
        report=report_from_dict(data),
        current=not stale,
        computed_at=summary.report_at,
        changes_since=summary.changes - (summary.report_changes or 0),
    )


def stored_quality(clinic: Clinic, *, suppress: bool) -> dict[str, Any]:
    """The dashboard's payer-grade measures (``QualityReport.to_dict``, counts from 1 to 10
    hidden with ``suppress``), as stored with the reports: the same rule as
    :func:`stored_report`. Out of date (changes since, or a period that ends before today),
    they are recomputed for this view only when that is cheap; otherwise the stored ones are
    shown, with their measurement period. One query when they are current."""
    summary = summary_of(clinic.pk)
    if summary.report is None or summary.quality is None:
        summary = refresh_reports(clinic)
    if (
        not _quality_current(summary, timezone.localdate())
        and summary.report_seconds < INLINE_REFRESH_SECONDS
    ):
        return _quality_today(clinic).to_dict(suppress=suppress)
    data = summary.quality_suppressed if suppress else summary.quality
    assert data is not None  # stored above
    return data


# --- the job: everything that is out of date ----------------------------------------------


def refresh_clinic(actor: Actor, clinic: Clinic, *, force: bool = False) -> dict[str, Any]:
    """Bring every summary of ``clinic`` up to date: refit trajectory models older than
    ``FIT_MAX_AGE`` (which rewrites the "not on track" list), build the lists on first use
    (or always, with ``force``), recompute the stored reports and measures if anything
    changed since or the measures' 12 months no longer end today; then the apps above that
    store summaries of their own (``outcomes.signals.summaries_refreshed``: the access report
    by fee tier) do the same.

    What ``touchstone refresh-summaries`` runs for each clinic (actor: the command line), and
    the task the job runner will run (``Actor.system("job", clinic)``).
    """
    summary = summary_of(clinic.pk)
    actions.do_refresh_trajectories(actor, clinic)
    built = False
    if force or summary.lists_built_at is None:
        refresh_lists(clinic)
        built = True
    summary.refresh_from_db()
    recomputed = False
    with timezone.override(clinic.zone):
        today = timezone.localdate()
    if (
        force
        or summary.report is None
        or summary.report_changes != summary.changes
        or not _quality_current(summary, today)
    ):
        refresh_reports(clinic)
        recomputed = True
    summaries_refreshed.send(sender=Clinic, actor=actor, clinic=clinic)
    return {"clinic_id": clinic.pk, "lists_built": built, "reports_computed": recomputed}


# --- reading ------------------------------------------------------------------------------


_page = threading.local()


@contextmanager
def lists_read_together(member: StaffMember) -> Iterator[None]:
    """Inside the block, the member's clinic's lists are checked (:func:`_ensure_lists`, one
    query) once, not once per list: for a page that only reads and shows several lists (the
    home page). Nothing may write scores, visits or episodes inside the block."""
    _page.lists = (member.clinic_id, _ensure_lists(member))
    try:
        yield
    finally:
        _page.lists = None


def _ensure_lists(member: StaffMember) -> tuple[int, dt.datetime]:
    """Build the lists the first time a clinic's are read (later writes keep them current).
    Returns the clinic's change counter and the time its lists were last rebuilt: together
    they say whether a list read before is still the list (:func:`_read_once`)."""
    together = getattr(_page, "lists", None)
    if together is not None and together[0] == member.clinic_id:
        return together[1]  # checked for this page (lists_read_together)
    state = (
        ClinicSummary.objects.filter(clinic_id=member.clinic_id, lists_built_at__isnull=False)
        .values_list("changes", "lists_built_at")
        .first()
    )
    if state is None:
        refresh_lists(member.clinic)
        state = ClinicSummary.objects.values_list("changes", "lists_built_at").get(
            clinic_id=member.clinic_id
        )
    changes, built = state
    assert built is not None  # set by refresh_lists
    return changes, built


#: A list read for one clinic is served again for at most this many seconds, and only while
#: the clinic's change counter and lists are as they were (every score, visit, episode,
#: diagnosis, client edit, licensed text and custom instrument raises the counter; a rebuild
#: or refit restamps the lists). What
#: moves with the clock alone, "active" (a follow-up in the last 8 weeks), may so lag by up
#: to this long; the clinic's settings the lists depend on and the date are part of the key,
#: so "open today" and "due by today" never do.
LIST_READ_SECONDS = 300


def _read_once(
    member: StaffMember, name: str, offset: int, limit: int, read: Callable[[], Listing]
) -> Listing:
    """``read()``, or the same list read before for the member's clinic (the lists are the
    clinic's, the same for every member who may see them), from Django's cache (per worker
    process unless ``CACHES`` says otherwise). The home page, the dashboard and the full
    lists read them on every view; at 10,000 clients each read costs 10-40 ms of CPU."""
    changes, built = _ensure_lists(member)
    key = ":".join(
        str(part)
        for part in (
            "summaries", name, member.clinic_id, changes, built.timestamp(),
            member.clinic.change_criteria, member.clinic.alliance_after_visits,
            timezone.localdate(), int(time.time() // LIST_READ_SECONDS), offset, limit,
        )
    )  # fmt: skip
    listing: Listing | None = cache.get(key)
    if listing is None:
        listing = read()
        cache.set(key, listing, LIST_READ_SECONDS)
    return listing


@dataclass(frozen=True)
class Listing:
    """A page of one list and the list's full length."""

    items: list[Any]
    count: int


def _one_per_client(rows: QuerySet[FlaggedCourse], preferred: Q) -> QuerySet[FlaggedCourse]:
    """``rows`` without those for which another of ``rows`` of the same client and instrument
    is ``preferred`` (a condition on ``OuterRef``): a client with two episodes of care on a
    list is listed once, as the live computations list them."""
    better = rows.filter(
        preferred, client_id=OuterRef("client_id"), instrument_id=OuterRef("instrument_id")
    )
    return rows.exclude(Exists(better))


def deteriorated(member: StaffMember, *, offset: int = 0, limit: int = 10) -> Listing:
    """Active clients whose follow-up in an episode of care open today is reliably worse than
    the episode's baseline, most worsened first (two queries). A client with two open
    episodes is listed with the later-started one, as ``measures.selectors.
    reliably_deteriorated`` (the live reference) lists them."""
    return _read_once(
        member, "deteriorated", offset, limit, lambda: _deteriorated_now(member, offset, limit)
    )


def _deteriorated_now(member: StaffMember, offset: int, limit: int) -> Listing:
    today = timezone.localdate()
    rows: QuerySet[FlaggedCourse] = FlaggedCourse.objects.for_member(member).filter(
        _open_on(today, "episode__"), flag=Flag.DETERIORATED, client__archived_at__isnull=True
    )
    later = Q(episode__started_on__gt=OuterRef("episode__started_on")) | Q(
        episode__started_on=OuterRef("episode__started_on"), episode_id__gt=OuterRef("episode_id")
    )
    rows = _one_per_client(rows, later)
    page = rows.select_related("client").order_by("-distance", "client__family_name", "pk")
    items = [
        Deterioration(r.client, r.instrument_id, round(r.baseline), round(r.latest))
        for r in page[offset : offset + limit]
    ]
    return Listing(items, rows.count())


def not_on_track(member: StaffMember, *, offset: int = 0, limit: int = 10) -> Listing:
    """Active clients (a follow-up in the last 8 weeks) outside their expected band,
    furthest first (two queries); a client with two episodes is listed with the one further
    outside, as ``trajectories.not_on_track`` (the live reference) lists them."""
    return _read_once(
        member, "not_on_track", offset, limit, lambda: _not_on_track_now(member, offset, limit)
    )


def _not_on_track_now(member: StaffMember, offset: int, limit: int) -> Listing:
    rows: QuerySet[FlaggedCourse] = FlaggedCourse.objects.for_member(member).filter(
        flag=Flag.OFF_TRACK,
        client__archived_at__isnull=True,
        latest_at__gte=timezone.now() - dt.timedelta(weeks=ACTIVE_WEEKS),
    )
    further = Q(distance__gt=OuterRef("distance")) | Q(
        distance=OuterRef("distance"), pk__lt=OuterRef("pk")
    )
    rows = _one_per_client(rows, further)
    page = rows.select_related("client").order_by("-distance", "client__family_name", "pk")
    items = [
        OffTrack(r.client, r.instrument_id, r.baseline, r.latest, r.expected or 0.0,
                 r.limit or 0.0, r.weeks or 0.0)
        for r in page[offset : offset + limit]
    ]  # fmt: skip
    return Listing(items, rows.count())


def _sort_key(due: Due) -> tuple[int, str, int, str]:
    return (-due.days_overdue, due.client.family_name, due.episode_id, due.instrument_id)


def questionnaires_due(
    member: StaffMember,
    today: dt.date,
    *,
    offset: int = 0,
    limit: int = 25,
    client: Client | None = None,
) -> Listing:
    """Questionnaires the open episodes' plans make due by ``today``, most overdue first
    (only ``client``'s, for the client page), each with how far the link the plan sent for
    it got (``Due.delivery``, ``portal.selectors.delivery_states``).

    The stored intake and periodic rows of every episode, except the episodes of clients
    with a visit today: those few are worked out in full here (``care.plans.instruments_due``
    with ``visit_today``), per-visit questionnaires included; one the client filled for
    today's visit through the link sent before it is not due. Ten queries, whatever the size;
    the clinic's list (no ``client``) is read once per change of the clinic
    (:func:`_read_once`: a score, visit or episode changes it), the links' progress on every
    view. One client's list takes two queries when they do not visit today
    (:func:`_client_due_now`).
    """
    if client is None:
        listing = _read_once(
            member, f"due:{today}", offset, limit, lambda: _due_now(member, today, offset, limit)
        )
    else:
        listing = _client_due_now(member, today, offset, limit, client)
    states = delivery_states(member, [(d.episode_id, d.instrument_id) for d in listing.items])
    page = [replace(d, delivery=states.get((d.episode_id, d.instrument_id))) for d in listing.items]
    return Listing(page, listing.count)


def _due_now(
    member: StaffMember, today: dt.date, offset: int, limit: int, client_id: int | None = None
) -> Listing:
    _ensure_lists(member)
    start, end = day_bounds(today)
    visiting = (
        Visit.objects.for_member(member)
        .filter(starts_at__gte=start, starts_at__lt=end, client__archived_at__isnull=True)
        .exclude(status="cancelled")
    )
    if client_id is not None:
        visiting = visiting.filter(client_id=client_id)
    live_scope = Episode.objects.for_member(member).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=today),
        started_on__lte=today,
        client_id__in=visiting.values("client_id"),
    )
    live_episodes = list(live_scope.select_related("client").order_by("pk"))
    # Always run (not only when someone visits today): the page's query count stays the same.
    filled = filled_for_visits(member, start, end, visiting.values("client_id"))
    # The WAI-SR falls due after the third visit when the clinic can give it (its text); also
    # read whoever visits, for the same reason.
    alliance = ALLIANCE_INSTRUMENT in {i.id for i in administrable(member.clinic_id)}
    live: list[Due] = []
    if live_episodes:
        last: dict[int, dict[str, dt.date]] = defaultdict(dict)
        for cid, instrument_id, when in (
            Administration.objects.for_member(member)
            .completed()
            .filter(client_id__in=visiting.values("client_id"), completed_at__isnull=False)
            .values("client_id", "instrument_id")
            .annotate(last=Max("completed_at"))
            .values_list("client_id", "instrument_id", "last")
            .order_by()
        ):
            last[cid][instrument_id] = timezone.localdate(when)
        visits_done = (
            dict(
                Visit.objects.for_member(member)
                .filter(
                    episode_id__in=[e.pk for e in live_episodes],
                    starts_at__lt=start,
                    status=VisitStatus.COMPLETED,
                )
                .values("episode_id")
                .annotate(n=Count("id"))
                .values_list("episode_id", "n")
                .order_by()
            )
            if alliance
            else {}
        )
        for episode in live_episodes:
            completed = {
                k: v for k, v in last[episode.client_id].items() if v >= episode.started_on
            }
            given = filled.get(episode.client_id, set())
            for item in instruments_due(
                episode, today, completed, visit_today=True, given_for_visit=given,
                visits_done=visits_done.get(episode.pk, 0), alliance=alliance,
                alliance_after_visits=member.clinic.alliance_after_visits,
            ):  # fmt: skip
                live.append(
                    Due(episode.client, episode.pk, item.instrument_id, item.reason,
                        item.days_overdue)
                )  # fmt: skip
    stored = (
        _stored_due(member, today)
        .filter(client__archived_at__isnull=True)
        .exclude(episode_id__in=live_scope.values("pk"))
        .filter(**({} if client_id is None else {"client_id": client_id}))
        .select_related("client")
        .order_by("due_on", "client__family_name", "episode_id", "instrument_id")
    )
    head = [
        Due(row.client, row.episode_id, row.instrument_id, row.reason, (today - row.due_on).days)
        for row in stored[: offset + limit]
    ]
    merged = sorted(head + live, key=_sort_key)[offset : offset + limit]
    return Listing(merged, stored.count() + len(live))


def _stored_due(member: StaffMember, today: dt.date) -> QuerySet[DueQuestionnaire]:
    """The stored rows (intake and periodic) due by ``today`` in episodes still open then."""
    return DueQuestionnaire.objects.for_member(member).filter(
        Q(episode__ended_on__isnull=True) | Q(episode__ended_on__gte=today), due_on__lte=today
    )


def _client_due_now(
    member: StaffMember, today: dt.date, offset: int, limit: int, client: Client
) -> Listing:
    """The clinic's due list (:func:`_due_now`) cut to one client, for their page.

    Only a client who visits today has questionnaires worked out live: the clinic list's
    machinery (the catalogue, the links filled for the visit, the visits done) runs for them
    alone. Any other client's list is their stored rows, read once (the count is their
    number), with the page's client: two queries, where the clinic list's way takes seven.
    An archived client has none (as in the clinic's list), without a query."""
    if client.is_archived:
        return Listing([], 0)
    start, end = day_bounds(today)
    visits_today = (
        Visit.objects.for_member(member)
        .filter(client_id=client.pk, starts_at__gte=start, starts_at__lt=end)
        .exclude(status="cancelled")
    )
    built, visiting = _lists_built_and_any(member, visits_today)
    if visiting:
        return _due_now(member, today, offset, limit, client.pk)
    if not built:
        _ensure_lists(member)
    stored = (
        _stored_due(member, today)
        .filter(client_id=client.pk)
        .values_list("episode_id", "instrument_id", "reason", "due_on")
    )
    rows = sorted(
        (
            Due(client, episode_id, instrument_id, reason, (today - due_on).days)
            for episode_id, instrument_id, reason, due_on in stored
        ),
        key=_sort_key,
    )
    return Listing(rows[offset : offset + limit], len(rows))


def _lists_built_and_any(member: StaffMember, visits: QuerySet[Visit]) -> tuple[bool, bool]:
    """Whether the member's clinic's lists were built (:func:`_ensure_lists` builds them
    otherwise) and whether there are ``visits``: two facts, one query."""
    state = (
        ClinicSummary.objects.filter(clinic_id=member.clinic_id)
        .annotate(visiting=Exists(visits))
        .values_list("lists_built_at", "visiting")
        .first()
    )
    if state is None:  # a clinic without its summary row yet
        return False, visits.exists()
    built_at, visiting = state
    return built_at is not None, visiting
