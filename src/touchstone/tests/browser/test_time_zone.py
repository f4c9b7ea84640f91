"""A browser west of UTC draws a chart's days as the clinic's days, not the day before."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from touchstone.conftest import Cast, make_client
from touchstone.measures.tests.factories import answered

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.browser_context_args(timezone_id="America/Chicago")
def test_a_chicago_browser_charts_scores_on_the_clinics_days(
    cast: Cast, live_server: Any, page: Any
):
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    client = make_client(cast.harbour)
    for day, values in ((2, [2] * 8 + [0]), (9, [1] * 8 + [0])):
        # 09:00 in Chicago, 15:00 UTC: the same calendar day everywhere in the Americas.
        with time_machine.travel(dt.datetime(2026, 3, day, 15, 0, tzinfo=dt.UTC), tick=False):
            answered(client, cast.tess, "phq9", values)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("tess")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Good to see you").wait_for()
    page.goto(f"{live_server.url}/clients/{client.pk}/progress/")
    chart = page.locator("[data-chart=chart-data-phq9][data-rendered=true]")
    chart.wait_for()
    labels = chart.locator("[aria-label^='Date: ']").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('aria-label'))"
    )
    days = sorted({label.split(";")[0] for label in labels})
    assert days == ["Date: Mar 02, 2026", "Date: Mar 09, 2026"]
