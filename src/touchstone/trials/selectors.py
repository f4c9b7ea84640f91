"""Reads of controlled studies in a fixed number of queries: the primary-outcome scores of
enrolled clients, the analysis dataset, the CONSORT flow and the follow-up list."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from touchstone.measures.models import Administration
from touchstone.science.trials import (
    ConsortFlow,
    Randomised,
    Screened,
    consort_flow,
    follow_up_window,
    study_scores,
)
from touchstone.trials.models import ControlledStudy, Enrolment, ProtocolVersion, Screening


def primary_scores(
    study: ControlledStudy, client_ids: Iterable[int], instrument_id: str
) -> dict[int, list[tuple[dt.datetime, float]]]:
    """Completed, computable scores of ``instrument_id`` per client (one query)."""
    rows = (
        Administration.objects.filter(
            clinic_id=study.clinic_id,
            client_id__in=list(client_ids),
            instrument_id=instrument_id,
            total__isnull=False,
        )
        .completed()
        .values_list("client_id", "completed_at", "total")
        .order_by("completed_at", "id")
    )
    out: dict[int, list[tuple[dt.datetime, float]]] = defaultdict(list)
    for client_id, at, total in rows:
        if at is not None and total is not None:  # completed and computable: both are set
            out[client_id].append((at, float(total)))
    return out


@dataclass(frozen=True)
class Row:
    """One randomised client in the analysis dataset (no name: a sequence number)."""

    number: int
    enrolment: Enrolment
    arm: int
    stratum: str
    baseline: float | None
    follow_up: float | None
    window: tuple[dt.datetime, dt.datetime]


def protocol_of(study: ControlledStudy) -> ProtocolVersion | None:
    return ProtocolVersion.objects.filter(study=study).order_by("-number").first()


def dataset(study: ControlledStudy, protocol: dict[str, Any]) -> list[Row]:
    """Every randomised client with their baseline and follow-up (three queries)."""
    plan = protocol["primary_outcome"]
    enrolments = list(
        Enrolment.objects.filter(study=study).select_related("client").order_by("enrolled_at", "id")
    )
    scores = primary_scores(study, [e.client_id for e in enrolments], plan["instrument_id"])
    rows = []
    for number, e in enumerate(enrolments, start=1):
        s = study_scores(
            e.enrolled_at,
            scores.get(e.client_id, []),
            weeks=plan["weeks"],
            window_days=plan["window_days"],
            baseline_days=plan["baseline_days"],
        )
        rows.append(
            Row(
                number=number,
                enrolment=e,
                arm=e.arm,
                stratum=e.stratum,
                baseline=s.baseline,
                follow_up=s.follow_up,
                window=follow_up_window(
                    e.enrolled_at, weeks=plan["weeks"], window_days=plan["window_days"]
                ),
            )
        )
    return rows


def dataset_csv_rows(rows: list[Row]) -> list[list[str]]:
    """The de-identified analysis dataset (the same columns R's reference script reads)."""
    out = [["client", "arm", "baseline", "follow_up"]]
    for r in rows:
        out.append(
            [
                str(r.number),
                str(r.arm),
                "NA" if r.baseline is None else f"{r.baseline:g}",
                "NA" if r.follow_up is None else f"{r.follow_up:g}",
            ]
        )
    return out


def flow(study: ControlledStudy, protocol: dict[str, Any], rows: list[Row]) -> ConsortFlow:
    """CONSORT counts: screenings, then each randomised client as the analysis saw them."""
    screenings = Screening.objects.filter(study=study).values_list("eligible", "exclusion_reason")
    labels = dict(Screening._meta.get_field("exclusion_reason").choices or [])
    enrolled = {r.enrolment.screening_id for r in rows}
    screened = []
    for eligible, reason in screenings:
        label = "" if eligible and not reason else str(labels.get(reason, reason))
        screened.append(Screened(label))
    assert sum(1 for s in screened if not s.excluded_reason) == len(enrolled)
    now = timezone.now()
    randomised = []
    for r in rows:
        pending = r.follow_up is None and r.window[1] > now
        analysed = r.baseline is not None and r.follow_up is not None
        reason = ""
        if not analysed:
            reason = (
                "no baseline score"
                if r.baseline is None
                else "follow-up window still open"
                if pending
                else "no follow-up score in window"
            )
        randomised.append(
            Randomised(
                arm=r.arm,
                received=r.enrolment.received,
                followed_up=r.follow_up is not None or pending,
                analysed=analysed,
                not_received_reason=r.enrolment.not_received_reason,
                not_analysed_reason=reason,
            )
        )
    return consort_flow(screened, randomised, [a["label"] for a in protocol["arms"]])


def arrays(rows: list[Row]) -> tuple[list[int], list[float], list[float]]:
    return (
        [r.arm for r in rows],
        [math.nan if r.baseline is None else r.baseline for r in rows],
        [math.nan if r.follow_up is None else r.follow_up for r in rows],
    )
