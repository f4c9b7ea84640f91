"""The outcomes dashboard's answer in plain words: per instrument, how many clients improved
reliably, stayed the same or got reliably worse, from the stored report
(``outcomes.summaries``; no computation on the page), and the one chart that shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from touchstone.measures.instruments import short_name
from touchstone.outcomes.analytics import OutcomesReport
from touchstone.outcomes.literature import FINDINGS, Finding

#: The chart's classes: (label, colour). Colour-blind safe (PuOr ends and a neutral grey),
#: and the table beside the chart carries the same numbers as text.
CLASSES = (
    ("improved reliably", "#2d6a75"),
    ("no reliable change", "#b9c2c6"),
    ("reliably worse", "#b35806"),
)


@dataclass(frozen=True)
class Headline:
    """One instrument's answer. Shares are of ``n``, the clients (episodes of care) with a
    baseline and a follow-up; ``improved`` includes the recovered."""

    instrument_id: str
    name: str
    n: int
    improved: int
    unchanged: int
    deteriorated: int
    mean_pre: float | None
    mean_post: float | None
    findings: tuple[Finding, ...]

    @property
    def improved_share(self) -> float:
        return self.improved / self.n

    @property
    def unchanged_share(self) -> float:
        return self.unchanged / self.n

    @property
    def deteriorated_share(self) -> float:
        return self.deteriorated / self.n


def headlines(report: OutcomesReport) -> list[Headline]:
    """A headline for every instrument whose change classes are known (reliability data,
    counts not hidden), in the report's order."""
    result = []
    for item in report.instruments:
        table = item.classification
        if table is None or not table.total:
            continue
        counts = {row.category: row.count for row in table.rows}
        if any(value is None for value in counts.values()):
            continue  # hidden small cells: no plain-words claim
        result.append(
            Headline(
                instrument_id=item.instrument_id,
                name=short_name(item.instrument_id),
                n=table.total,
                improved=(counts.get("recovered") or 0) + (counts.get("improved") or 0),
                unchanged=counts.get("unchanged") or 0,
                deteriorated=counts.get("deteriorated") or 0,
                mean_pre=item.effect.mean_pre if item.effect else None,
                mean_post=item.effect.mean_post if item.effect else None,
                findings=FINDINGS.get(item.instrument_id, ()),
            )
        )
    return result


def headline_chart(rows: list[Headline]) -> dict[str, Any] | None:
    """One Vega-Lite chart: a stacked bar per instrument, the share of clients in each class."""
    if not rows:
        return None
    values = [
        {"questionnaire": h.name, "outcome": label, "order": i,
         "percent": round(100 * count / h.n, 1), "clients": count}
        for h in rows
        for i, ((label, _), count) in enumerate(
            zip(CLASSES, (h.improved, h.unchanged, h.deteriorated), strict=True)
        )
    ]  # fmt: skip
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Share of clients who improved reliably, did not change reliably, or "
        "got reliably worse, per questionnaire",
        "width": "container",
        "height": {"step": 42},
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "questionnaire", "type": "nominal", "title": None, "sort": None},
            "x": {"field": "percent", "type": "quantitative", "stack": "zero",
                  "title": "% of clients with a start and a follow-up score",
                  "scale": {"domain": [0, 100]}},
            "color": {"field": "outcome", "type": "nominal", "title": None,
                      "scale": {"domain": [c[0] for c in CLASSES],
                                "range": [c[1] for c in CLASSES]},
                      "legend": {"orient": "bottom"}},
            "order": {"field": "order"},
            "tooltip": [{"field": "questionnaire"}, {"field": "outcome"},
                        {"field": "percent"}, {"field": "clients"}],
        },
    }  # fmt: skip
