"""The clinic outcomes dashboard (owner, clinician) and its de-identified twin (researchers)."""

from __future__ import annotations

import time
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.lib import csv_cells
from touchstone.logs import export_finished
from touchstone.outcomes import actions
from touchstone.outcomes.analytics import InstrumentOutcomes, OutcomesReport, clinic_outcomes
from touchstone.outcomes.forms import FilterForm
from touchstone.outcomes.trajectories import OffTrack, not_on_track

#: The dashboard lists the clients furthest outside their band first, up to this many.
OFF_TRACK_SHOWN = 50


def _report(request: MemberRequest, *, research: bool) -> tuple[FilterForm, OutcomesReport]:
    form = FilterForm(request.GET or None)
    filters = form.filters()
    # A diagnosis filter shows who has a diagnosis; people who may not read diagnoses see
    # the filtered figures de-identified (small cells hidden), as researchers do.
    deidentified = research or (
        bool(filters.diagnosis) and not request.member.can("diagnoses.view")
    )
    return form, clinic_outcomes(request.member.clinic, filters, deidentified=deidentified)


def rates_chart(item: InstrumentOutcomes) -> dict[str, Any] | None:
    """Vega-Lite bars of the outcome rates with their Wilson 95% intervals."""
    values = []
    for table in (item.classification, item.response, item.remission):
        if table is None:
            continue
        for row in table.rows:
            if row.proportion is None or row.category.startswith("no "):
                continue
            values.append(
                {
                    "outcome": row.category,
                    "percent": round(100 * row.proportion, 1),
                    "low": round(100 * (row.ci_low or 0), 1),
                    "high": round(100 * (row.ci_high or 0), 1),
                }
            )
    if not values:
        return None
    x = {"field": "outcome", "type": "nominal", "sort": None, "title": None}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": f"{item.title}: outcome rates with 95% Wilson intervals",
        "width": "container",
        "height": 200,
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "bar", "color": "#2d6a75"},
                "encoding": {
                    "x": x,
                    "y": {"field": "percent", "type": "quantitative", "title": "% of episodes",
                          "scale": {"domain": [0, 100]}},
                    "tooltip": [{"field": "outcome"}, {"field": "percent"},
                                {"field": "low"}, {"field": "high"}],
                },
            },
            {
                "mark": {"type": "rule", "color": "#1f2a30"},
                "encoding": {"x": x, "y": {"field": "low", "type": "quantitative"},
                             "y2": {"field": "high"}},
            },
        ],
    }  # fmt: skip


def _render(request: MemberRequest, *, research: bool) -> HttpResponse:
    form, report = _report(request, research=research)
    off_track: list[OffTrack] = []
    if not research:
        actions.do_refresh_trajectories(request.actor, request.member.clinic)
        off_track = not_on_track(request.member)
    record(
        request.actor,
        Action.LIST,
        object_type="outcomes.report",
        detail="research aggregates" if research else f"dashboard; {len(off_track)} not on track",
    )
    instruments = [
        {"item": item, "chart": rates_chart(item), "chart_id": f"rates-{item.instrument_id}"}
        for item in report.instruments
    ]
    return render(
        request,
        "outcomes/dashboard.html",
        {
            "form": form,
            "report": report,
            "instruments": instruments,
            "off_track": off_track[:OFF_TRACK_SHOWN],
            "off_track_more": max(0, len(off_track) - OFF_TRACK_SHOWN),
            "research": research,
            "query": request.GET.urlencode(),
        },
    )


@requires("outcomes.view")
def dashboard(request: MemberRequest) -> HttpResponse:
    return _render(request, research=False)


@requires("research.aggregates")
def research(request: MemberRequest) -> HttpResponse:
    return _render(request, research=True)


def _export(request: MemberRequest, *, research: bool) -> HttpResponse:
    started = time.perf_counter()
    _, report = _report(request, research=research)
    tables = report.tables()
    wanted = request.GET.get("table", "all")
    if wanted != "all" and wanted not in tables:
        raise Http404("No such table")
    names = list(tables) if wanted == "all" else [wanted]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="outcomes-{wanted}.csv"'
    writer = csv_cells.writer(response)
    filters = report.filters.to_dict()
    generated = timezone.localdate(report.generated_at)
    writer.writerow(["# Touchstone clinic outcomes", f"generated {generated}"])
    writer.writerow(
        ["# filters", f"start={filters['start'] or ''}", f"end={filters['end'] or ''}",
         f"diagnosis={filters['diagnosis'] or ''}",
         "de-identified (cells 1-10 hidden)" if report.deidentified else "identified"]
    )  # fmt: skip
    for name in names:
        rows = tables[name]
        columns = list(rows[0]) if rows else []
        writer.writerow(["table", *columns])
        for row in rows:
            writer.writerow([name, *("" if row[c] is None else row[c] for c in columns)])
    record(
        request.actor,
        Action.EXPORT,
        object_type="outcomes.report",
        detail=f"csv {'research ' if research else ''}table={wanted}",
    )
    kind = "outcomes_research_csv" if research else "outcomes_csv"
    export_finished(kind, started, tables=len(names), rows=sum(len(tables[n]) for n in names))
    return response


@requires("outcomes.view")
def export(request: MemberRequest) -> HttpResponse:
    return _export(request, research=False)


@requires("research.aggregates")
def research_export(request: MemberRequest) -> HttpResponse:
    return _export(request, research=True)
