"""The clinic outcomes dashboard (owner, clinician) and its de-identified twin (researchers)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client
from touchstone.lib import csv_cells
from touchstone.logs import export_finished
from touchstone.outcomes import summaries
from touchstone.outcomes.analytics import (
    InstrumentOutcomes,
    OutcomeFilters,
    OutcomesReport,
    clinic_outcomes,
)
from touchstone.outcomes.forms import FilterForm, MeasurePeriodForm
from touchstone.outcomes.headline import headline_chart, headlines
from touchstone.outcomes.quality import (
    QualityReport,
    client_ids,
    last_twelve_months,
    membership,
    quality_measures,
)

#: The dashboard lists the clients furthest outside their band first, up to this many; the
#: whole list is paged at /outcomes/not-on-track/.
OFF_TRACK_SHOWN = 50
#: Rows per page of the full client lists.
LIST_PAGE_SIZE = 50


def _report(
    request: MemberRequest, *, research: bool
) -> tuple[FilterForm, OutcomesReport, summaries.StoredReport | None]:
    """The report a page shows: the stored one when no filter is set (``outcomes.summaries``:
    no clinic-wide computation per view), else computed for the filters asked."""
    form = FilterForm(request.GET or None)
    filters = form.filters()
    if filters == OutcomeFilters():
        stored = summaries.stored_report(request.member.clinic, deidentified=research)
        return form, stored.report, stored
    # A diagnosis filter shows who has a diagnosis; people who may not read diagnoses see
    # the filtered figures de-identified (small cells hidden), as researchers do. A population
    # (postpartum, perimenopause) is small and sensitive: always de-identified.
    deidentified = (
        research
        or bool(filters.population)
        or (bool(filters.diagnosis) and not request.member.can("diagnoses.view"))
    )
    return form, clinic_outcomes(request.member.clinic, filters, deidentified=deidentified), None


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
    form, report, stored = _report(request, research=research)
    off_track = summaries.Listing([], 0)
    if not research:
        # Read from the stored list; the trajectory models are refitted by
        # `touchstone refresh-summaries`, never inside a page request.
        off_track = summaries.not_on_track(request.member, limit=OFF_TRACK_SHOWN)
    record(
        request.actor,
        Action.LIST,
        object_type="outcomes.report",
        detail="research aggregates" if research else f"dashboard; {off_track.count} not on track",
    )
    instruments = [
        {"item": item, "chart": rates_chart(item), "chart_id": f"rates-{item.instrument_id}"}
        for item in report.instruments
    ]
    quality = None
    if not research:
        # Stored with the reports (outcomes.summaries), not computed per view.
        quality = summaries.stored_quality(
            request.member.clinic, suppress=not request.member.can("diagnoses.view")
        )
    return render(
        request,
        "outcomes/details.html",
        {
            "form": form,
            "report": report,
            "instruments": instruments,
            "off_track": off_track.items,
            "off_track_count": off_track.count,
            "off_track_more": max(0, off_track.count - OFF_TRACK_SHOWN),
            "stored": stored,
            "research": research,
            "query": request.GET.urlencode(),
            "quality": quality,
        },
    )


@requires("outcomes.view")
def dashboard(request: MemberRequest) -> HttpResponse:
    """The answer first: per questionnaire, how many clients improved reliably, in words and
    one chart, beside the published trials; the statistics are one click away (details).
    Read from the stored report, never computed here."""
    if request.GET:
        # Filters belong to the details page (bookmarks of the former one-page dashboard).
        return redirect(f"{reverse('outcomes:details')}?{request.GET.urlencode()}")
    stored = summaries.stored_report(request.member.clinic, deidentified=False)
    rows = headlines(stored.report)
    off_track = summaries.not_on_track(request.member, limit=0)
    record(
        request.actor,
        Action.LIST,
        object_type="outcomes.report",
        detail=f"dashboard; {off_track.count} not on track",
    )
    return render(
        request,
        "outcomes/dashboard.html",
        {
            "report": stored.report,
            "stored": stored,
            "headlines": rows,
            "chart": headline_chart(rows),
            "off_track_count": off_track.count,
        },
    )


@requires("outcomes.view")
def details(request: MemberRequest) -> HttpResponse:
    return _render(request, research=False)


@requires("research.aggregates")
def research(request: MemberRequest) -> HttpResponse:
    return _render(request, research=True)


def _export(request: MemberRequest, *, research: bool) -> HttpResponse:
    started = time.perf_counter()
    _, report, _ = _report(request, research=research)
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
         f"diagnosis={filters['diagnosis'] or ''}", f"population={filters['population'] or ''}",
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


# --- payer-grade measures (HEDIS DMS-E, DRR-E, CMS159; docs/quality-measures.md) ----------


def _quality(request: MemberRequest) -> tuple[MeasurePeriodForm, QualityReport | None]:
    """The period form (default: the last 12 months) and the measures, or None if invalid."""
    start, end = last_twelve_months(timezone.localdate())
    form = MeasurePeriodForm(request.GET or {"start": start, "end": end})
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, quality_measures(request.member.clinic, data["start"], data["end"])


def _suppress(request: MemberRequest) -> bool:
    """The measures' populations are defined by diagnoses: who may not read diagnoses sees
    small cells hidden, as on the dashboard's diagnosis filter."""
    return not request.member.can("diagnoses.view")


@requires("outcomes.view")
def quality(request: MemberRequest) -> HttpResponse:
    form, report = _quality(request)
    if report is not None:
        record(
            request.actor,
            Action.LIST,
            object_type="outcomes.quality",
            detail=f"quality measures {report.start}..{report.end}",
        )
    return render(
        request,
        "outcomes/quality.html",
        {
            "form": form,
            "quality": None if report is None else report.to_dict(suppress=_suppress(request)),
            "query": f"start={report.start}&end={report.end}" if report else "",
        },
        status=200 if report is not None else 422,
    )


@requires("outcomes.view")
def quality_export(request: MemberRequest) -> HttpResponse:
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "json", "fhir"):
        raise Http404("No such format")
    form, report = _quality(request)
    if report is None:
        return render(request, "outcomes/quality.html", {"form": form}, status=422)
    started = time.perf_counter()
    suppress = _suppress(request)
    name = f"quality-measures-{report.start:%Y%m%d}-{report.end:%Y%m%d}"
    if fmt == "csv":
        body, content_type, name = (
            report.csv_text(suppress=suppress),
            "text/csv; charset=utf-8",
            name + ".csv",
        )
    elif fmt == "json":
        body = json.dumps(report.to_dict(suppress=suppress), indent=2)
        content_type, name = "application/json", name + ".json"
    else:
        body = json.dumps(report.bundle(suppress=suppress), indent=2)
        content_type, name = "application/fhir+json", name + "-fhir.json"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    record(
        request.actor,
        Action.EXPORT,
        object_type="outcomes.quality",
        detail=f"quality measures {fmt} {report.start}..{report.end}",
    )
    export_finished(f"quality_{fmt}", started, rows=len(report.rows()))
    return response


@requires("diagnoses.view")
def quality_clients(request: MemberRequest) -> HttpResponse:
    """How the measures were computed: the clients in each group, with the index event and
    the score that decided it. Licensed clinicians only (the groups are diagnoses)."""
    form, report = _quality(request)
    if report is None:
        return render(request, "outcomes/quality.html", {"form": form}, status=422)
    wanted = client_ids(report)
    names = {
        c.pk: c.full_name for c in Client.objects.for_member(request.member).filter(pk__in=wanted)
    }
    record(
        request.actor,
        Action.LIST,
        object_type="outcomes.quality_clients",
        detail=f"{len(wanted)} clients, quality measures {report.start}..{report.end}",
    )
    return render(
        request,
        "outcomes/quality_clients.html",
        {
            "form": form,
            "report": report,
            "sections": membership(report, names),
            "query": f"start={report.start}&end={report.end}",
        },
    )


# --- the full client lists of the home page -----------------------------------------------

_LISTS = {
    "deteriorated": ("Clients with reliable deterioration", summaries.deteriorated),
    "not-on-track": ("Clients not on track", summaries.not_on_track),
    "due": ("Questionnaires due", None),
}


def _client_list(request: MemberRequest, kind: str) -> HttpResponse:
    title, read = _LISTS[kind]
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    number = min(number, 100_000)
    offset = (number - 1) * LIST_PAGE_SIZE
    if read is None:
        listing = summaries.questionnaires_due(
            request.member, timezone.localdate(), offset=offset, limit=LIST_PAGE_SIZE
        )
    else:
        listing = read(request.member, offset=offset, limit=LIST_PAGE_SIZE)
    pages = Paginator(range(listing.count), LIST_PAGE_SIZE).num_pages  # counts, reads nothing
    record(
        request.actor,
        Action.LIST,
        object_type="clients.client",
        detail=f"{kind} list, page {number}, {len(listing.items)} rows",
    )
    return render(
        request,
        "outcomes/client_list.html",
        {
            "title": title,
            "kind": kind,
            "listing": listing,
            "number": number,
            "pages": pages,
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if number < pages else None,
        },
    )


@requires("measures.view")
def deteriorated_list(request: MemberRequest) -> HttpResponse:
    return _client_list(request, "deteriorated")


@requires("outcomes.view")
def not_on_track_list(request: MemberRequest) -> HttpResponse:
    return _client_list(request, "not-on-track")


@requires("measures.give")
def due_list(request: MemberRequest) -> HttpResponse:
    return _client_list(request, "due")
