from __future__ import annotations

import datetime as dt

from touchstone.care.charts import body_map_chart


def test_it_gives_the_body_map_chart_a_fixed_height_of_one_row_per_region():
    # A container width with a discrete (step) height makes Vega-Lite warn "Dropping fit-y"
    # in the console of every progress page; a number of pixels does not.
    day = dt.date(2026, 3, 2)
    rows = [
        {"date": day, "region": "neck_front", "level": 2},
        {"date": day, "region": "upper_back", "level": 1},
        {"date": day + dt.timedelta(days=7), "region": "neck_front", "level": 1},
    ]
    spec = body_map_chart(rows)
    assert spec is not None
    assert spec["width"] == "container" and spec["height"] == 40
