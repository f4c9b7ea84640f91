"""A client's scores over time: series, change against baseline, words and chart specs.

The numbers come from the science core (``touchstone.science.change``); this module only
arranges them for pages, the portal and reports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from touchstone.lib.charts import band_colours
from touchstone.measures.instruments import instrument
from touchstone.measures.models import Administration
from touchstone.science.instruments import ChangeResult, Instrument, change

#: Plain words for the classification (Jacobson & Truax), read by staff and clients alike.
WORDS = {
    "recovered": "Scores improved by more than day-to-day ups and downs explain, and are now "
    "in the range of people without these difficulties.",
    "improved": "Scores improved by more than day-to-day ups and downs explain.",
    "unchanged": "Scores have not changed by more than day-to-day ups and downs explain.",
    "deteriorated": "Scores are worse than at the start, by more than day-to-day ups and "
    "downs explain: a reason to talk it through with the clinician.",
}


@dataclass
class Point:
    administration_id: int
    when: Any
    total: int | None
    severity: str
    reliable_change: str | None = None  # vs baseline: improved / deteriorated / none


@dataclass
class Series:
    definition: Instrument
    points: list[Point] = field(default_factory=list)
    change: ChangeResult | None = None

    @property
    def baseline(self) -> Point | None:
        scored = [p for p in self.points if p.total is not None]
        return scored[0] if scored else None

    @property
    def latest(self) -> Point | None:
        scored = [p for p in self.points if p.total is not None]
        return scored[-1] if len(scored) > 1 else None

    @property
    def words(self) -> str:
        if self.change is None or self.change.classification is None:
            return "Not enough scores yet to say how things are changing."
        return WORDS.get(self.change.classification, "")

    @property
    def chart_id(self) -> str:
        return f"chart-data-{self.definition.id}"

    def chart(self) -> dict[str, Any]:
        return chart_spec(self)


def client_series(administrations: Iterable[Administration]) -> list[Series]:
    """Completed administrations grouped per instrument, oldest first, with change vs baseline."""
    grouped: dict[str, list[Administration]] = defaultdict(list)
    for a in sorted(administrations, key=lambda a: (a.when, a.pk)):
        grouped[a.instrument_id].append(a)
    out = []
    for instrument_id, rows in grouped.items():
        series = Series(definition=instrument(instrument_id))
        baseline_total: int | None = None
        for a in rows:
            point = Point(a.pk, a.when, a.total, a.severity)
            if a.total is not None:
                if baseline_total is None:
                    baseline_total = a.total
                else:
                    delta = change(series.definition, pre=baseline_total, post=a.total)
                    point.reliable_change = delta.reliable_change
            series.points.append(point)
        if series.baseline and series.latest:
            series.change = change(
                series.definition, pre=series.baseline.total, post=series.latest.total
            )
        out.append(series)
    return out


def chart_spec(series: Series) -> dict[str, Any]:
    """A Vega-Lite spec: severity bands behind the scores, reliable changes marked."""
    d = series.definition
    bands = [
        {"label": b.label, "y": b.min, "y2": b.max + (1 if b.max < d.total_max else 0)}
        for b in d.bands
    ]
    points = [
        {
            "date": timezone.localdate(p.when).isoformat(),
            "score": p.total,
            "severity": p.severity,
            "change": {"improved": "reliably better", "deteriorated": "reliably worse"}.get(
                p.reliable_change or "", ""
            ),
        }
        for p in series.points
        if p.total is not None
    ]
    layers: list[dict[str, Any]] = []
    if bands:
        layers.append(
            {
                "data": {"values": bands},
                "mark": {"type": "rect", "opacity": 0.55},
                "encoding": {
                    "y": {"field": "y", "type": "quantitative"},
                    "y2": {"field": "y2"},
                    "color": {
                        "field": "label",
                        "type": "nominal",
                        "title": "Severity",
                        "scale": {
                            "domain": [b["label"] for b in bands],
                            "range": band_colours(len(bands)),
                        },
                        "sort": None,
                    },
                },
            }
        )
    layers.append(
        {
            "data": {"values": points},
            "mark": {"type": "line", "point": {"filled": True, "size": 70}, "color": "#1f2a30"},
            "encoding": {
                "x": {"field": "date", "type": "temporal", "title": "Date"},
                "y": {
                    "field": "score",
                    "type": "quantitative",
                    "title": f"{d.id.upper()} total",
                    "scale": {"domain": [d.total_min, d.total_max]},
                },
                "tooltip": [
                    {"field": "date", "type": "temporal"},
                    {"field": "score"},
                    {"field": "severity"},
                    {"field": "change"},
                ],
            },
        }
    )
    marked = [p for p in points if p["change"]]
    if marked:
        layers.append(_change_markers(marked))
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": f"{d.title} scores over time with severity bands",
        "width": "container",
        "height": 220,
        "layer": layers,
        "resolve": {"scale": {"color": "independent", "shape": "independent"}},
    }


def _change_markers(marked: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": {"values": marked},
        "mark": {
            "type": "point",
            "shape": "diamond",
            "size": 220,
            "filled": False,
            "strokeWidth": 2,
            "color": "#2d6a75",
        },
        "encoding": {
            "x": {"field": "date", "type": "temporal"},
            "y": {"field": "score", "type": "quantitative"},
            "shape": {"field": "change", "type": "nominal", "title": "Change"},
        },
    }
