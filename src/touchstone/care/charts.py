"""Chart specs for the massage side of a client's progress: body-map tension over time and
the client's before/after session ratings (data from ``care.selectors``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from touchstone.care.bodymap import BY_CODE
from touchstone.lib.charts import BAND_COLOURS


def body_map_chart(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Heat map: one row per region, one column per visit, colour = tension level 1–3."""
    if not rows:
        return None
    values = [
        {
            "date": r["date"].isoformat(),
            "region": BY_CODE[r["region"]].label if r["region"] in BY_CODE else r["region"],
            "level": r["level"],
        }
        for r in rows
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Tension per body region at each visit",
        "width": "container",
        # A fixed height (Vega-Lite's 20 px step per region row), not a discrete one: with a
        # discrete height, fitting the width makes Vega-Lite warn on every progress page.
        "height": 20 * len({v["region"] for v in values}),
        "data": {"values": values},
        "mark": {"type": "rect", "stroke": "#ffffff"},
        "encoding": {
            "x": {"field": "date", "type": "ordinal", "title": "Visit"},
            "y": {"field": "region", "type": "nominal", "title": None, "sort": "-color"},
            "color": {
                "field": "level",
                "type": "ordinal",
                "title": "Tension (0–3)",
                "scale": {"domain": [1, 2, 3], "range": BAND_COLOURS[1::2][:3]},
            },
            "tooltip": [{"field": "date"}, {"field": "region"}, {"field": "level"}],
        },
    }


def body_map_table(rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, list[Any]]]]:
    """(visit dates, [(region label, level per date)]) for the table alternative."""
    dates = sorted({r["date"] for r in rows})
    levels: dict[str, dict[Any, int]] = defaultdict(dict)
    for r in rows:
        levels[r["region"]][r["date"]] = r["level"]
    table = [
        (BY_CODE[code].label if code in BY_CODE else code, [by_date.get(d, 0) for d in dates])
        for code, by_date in sorted(levels.items(), key=lambda kv: -sum(kv[1].values()))
    ]
    return [d.isoformat() for d in dates], table


def ratings_chart(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Before and after each visit, per rating (0–10), as small multiples."""
    values = [
        {"date": r["date"].isoformat(), "rating": name, "when": when, "value": pair[when]}
        for r in rows
        for name, pair in r["ratings"].items()
        for when in ("before", "after")
        if pair[when] is not None
    ]
    if not values:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Client ratings before and after each visit",
        "data": {"values": values},
        "facet": {"field": "rating", "type": "nominal", "title": None},
        "columns": 3,
        "spec": {
            "width": 220,
            "height": 140,
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": "date", "type": "temporal", "title": None},
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": "0–10",
                    "scale": {"domain": [0, 10]},
                },
                "color": {
                    "field": "when",
                    "type": "nominal",
                    "title": "When",
                    "scale": {"domain": ["before", "after"], "range": ["#d95f0e", "#2d6a75"]},
                },
                "strokeDash": {
                    "field": "when",
                    "type": "nominal",
                    "scale": {"domain": ["before", "after"], "range": [[4, 3], [1, 0]]},
                },
            },
        },
    }
