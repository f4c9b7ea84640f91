"""A client's scores over time: series, change against baseline, words and chart specs.

The numbers come from the science core (``touchstone.science.episodes`` pairs each score
with its episode's baseline, ``touchstone.science.change`` judges the change); this module
only arranges them for pages, the portal and reports.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from touchstone.care.models import SESSION_RATING_INSTRUMENTS
from touchstone.lib.charts import band_colours
from touchstone.lib.html import table_rows
from touchstone.lib.wall_clock import local_minutes
from touchstone.measures.instruments import instrument
from touchstone.measures.models import Administration
from touchstone.science.episodes import BASELINE, BASELINE_WINDOW_DAYS, TOO_SOON, episode_pairs
from touchstone.science.instruments import ChangeResult, Instrument, change

#: Plain words for the classification (Jacobson & Truax), read by staff and clients alike.
#: Lazy: the client's progress page shows them in the client's language (docs/languages.md).
WORDS = {
    "recovered": gettext_lazy(
        "Scores improved by more than day-to-day ups and downs explain, and are now "
        "in the range of people without these difficulties."
    ),
    "improved": gettext_lazy("Scores improved by more than day-to-day ups and downs explain."),
    "unchanged": gettext_lazy(
        "Scores have not changed by more than day-to-day ups and downs explain."
    ),
    "deteriorated": gettext_lazy(
        "Scores are worse than at the start, by more than day-to-day ups and "
        "downs explain: a reason to talk it through with the clinician."
    ),
}


#: A score's place in its episode's comparison (science.episodes, docs/statistics.md).
STATUS_WORDS = {
    "baseline": gettext_lazy("baseline"),
    "too soon": gettext_lazy("too soon to compare"),
    "outside": gettext_lazy("not in an episode of care"),
}

#: A compared score's reliable change against its baseline, in words (the table of scores).
CHANGE_WORDS = {
    "improved": gettext_lazy("reliably better"),
    "deteriorated": gettext_lazy("reliably worse"),
    "none": gettext_lazy("within usual variation"),
}

NOT_ENOUGH: Any = gettext_lazy("Not enough scores yet to say how things are changing.")

#: An episode of care as the pairing needs it: first day, last day (None while open).
EpisodeSpan = tuple[dt.date, dt.date | None]


@dataclass
class Point:
    administration_id: int
    when: Any
    total: int | None
    severity: str
    reliable_change: str | None = None  # vs its episode's baseline: improved / deteriorated / none
    status: str = "outside"  # baseline / too soon / compared / outside

    @property
    def change_text(self) -> str:
        """Where the score stands against its episode's baseline, in words."""
        if self.total is None:
            return "—"
        if self.status == "compared":
            words = CHANGE_WORDS.get(self.reliable_change or "")
            return str(words) if words else _("not classified (no reliability data)")
        return str(STATUS_WORDS.get(self.status, STATUS_WORDS["outside"]))


@dataclass
class Series:
    definition: Instrument
    points: list[Point] = field(default_factory=list)
    change: ChangeResult | None = None
    baseline: Point | None = None
    latest: Point | None = None
    #: Why there is no change to show, in words (when ``change`` is None).
    note: str = NOT_ENOUGH

    @property
    def newest(self) -> Point | None:
        """The most recent score, whether or not it lies in an episode of care (``latest`` is
        the follow-up the change is judged on, and stays empty without an episode)."""
        return self.points[-1] if self.points else None

    @property
    def words(self) -> str:
        if self.change is None or self.change.classification is None:
            return str(self.note)
        return str(WORDS.get(self.change.classification, ""))

    @property
    def chart_id(self) -> str:
        return f"chart-data-{self.definition.id}"

    def chart(self) -> dict[str, Any]:
        return chart_spec(self)

    @property
    def table_rows(self) -> SafeString:
        """The table of scores: date, score, severity, change since the baseline."""
        return table_rows(
            (
                timezone.localdate(p.when).isoformat(),
                _("not computable") if p.total is None else p.total,
                p.severity or "—",
                p.change_text,
            )
            for p in self.points
        )


def client_series(
    administrations: Iterable[Administration],
    episodes: Sequence[EpisodeSpan],
    *,
    criteria: str = "jacobson-truax",
    today: dt.date | None = None,
) -> list[Series]:
    """One client's completed administrations grouped per instrument, oldest first.

    Each score is placed in its episode of care by ``science.episodes.episode_pairs`` (the
    one baseline of every page and report): the baseline, a score too soon after it (less
    than one recall period), or a score compared with it (reliable change under the clinic's
    ``criteria``). The series' ``change`` is the current episode's (the latest that has a
    baseline): its baseline against its follow-up, or nothing, with ``note`` saying why.
    """
    today = today or timezone.localdate()
    grouped: dict[str, list[Administration]] = defaultdict(list)
    for a in sorted(administrations, key=lambda a: (a.when, a.pk)):
        if a.instrument_id not in SESSION_RATING_INSTRUMENTS:  # the visit's (care.selectors)
            grouped[a.instrument_id].append(a)
    spans = sorted(episodes, key=lambda e: e[0])
    out = []
    for instrument_id, rows in grouped.items():
        definition = instrument(instrument_id)
        series = Series(definition=definition)
        series.points = [Point(a.pk, a.when, a.total, a.severity) for a in rows]
        out.append(series)
        if not spans:
            series.note = _(
                "Change is judged within an episode of care, and this client has none yet."
            )
            continue
        pairs = episode_pairs(
            [0] * len(spans),
            np.array([start for start, _ in spans], dtype="datetime64[D]"),
            np.array([end for _, end in spans], dtype="datetime64[D]"),
            [0] * len(rows),
            local_minutes(a.when for a in rows),
            [np.nan if a.total is None else a.total for a in rows],
            min_days=definition.min_followup_days,
            until=np.datetime64(today, "D"),
        )
        members = pairs.members()
        # Rows are ordered by episode start, so a score in two overlapping episodes ends up
        # described against the later one.
        for index, base, status in zip(
            members.score.tolist(), members.baseline.tolist(), members.status.tolist(),
            strict=True,
        ):  # fmt: skip
            point = series.points[index]
            point.reliable_change = None
            if status == BASELINE:
                point.status = "baseline"
            elif status == TOO_SOON:
                point.status = "too soon"
            else:
                point.status = "compared"
                pre = rows[base].total
                point.reliable_change = change(
                    definition, pre=pre, post=point.total, criteria=criteria
                ).reliable_change
        current = np.flatnonzero(pairs.has_baseline)
        if current.size == 0:
            series.note = _(
                "No baseline in an episode of care: the first score must be taken within "
                "%(days)d days of the episode's start."
            ) % {"days": BASELINE_WINDOW_DAYS}
            continue
        e = int(current[-1])
        series.baseline = series.points[int(pairs.baseline[e])]
        if not pairs.paired[e]:
            series.note = (
                _(
                    "Too soon to compare: a follow-up counts once it comes at least one recall "
                    "period (%(period)s) after the baseline."
                )
                % {"period": _days(definition.min_followup_days)}
                if pairs.n_too_soon[e]
                else str(NOT_ENOUGH)
            )
            continue
        series.latest = series.points[int(pairs.followup[e])]
        series.change = change(definition, pre=pairs.pre[e], post=pairs.post[e], criteria=criteria)
    return out


def _days(n: int) -> str:
    if n % 7 == 0 and n >= 14:
        return ngettext("%(n)d week", "%(n)d weeks", n // 7) % {"n": n // 7}
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


def chart_spec(series: Series) -> dict[str, Any]:
    """A Vega-Lite spec: severity bands behind the scores, reliable changes marked."""
    d = series.definition
    bands = [
        {"label": b.label, "y": b.min, "y2": b.max + (1 if b.max < d.total_max else 0)}
        for b in d.bands
    ]
    marks = {"improved": _("reliably better"), "deteriorated": _("reliably worse")}
    points = [
        {
            "date": timezone.localdate(p.when).isoformat(),
            "score": p.total,
            "severity": p.severity,
            "change": marks.get(p.reliable_change or "", ""),
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
                        "title": _("Severity"),
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
                "x": {"field": "date", "type": "temporal", "title": _("Date")},
                "y": {
                    "field": "score",
                    "type": "quantitative",
                    "title": _("%(instrument)s total") % {"instrument": d.id.upper()},
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
        "description": _("%(title)s scores over time with severity bands") % {"title": d.title},
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
            "shape": {"field": "change", "type": "nominal", "title": _("Change")},
        },
    }
