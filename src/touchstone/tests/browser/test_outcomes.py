"""The owner reads the clinic outcomes dashboard and pools studies on the synthesis page."""

from __future__ import annotations

from typing import Any

import pytest

from touchstone.conftest import Cast
from touchstone.evidence.tests.factories import make_study
from touchstone.outcomes.tests.factories import build_outcomes

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Good to see you").wait_for()


def test_the_owner_reads_outcomes_and_pools_studies(
    cast: Cast, live_server: Any, page: Any, screenshot: Any
):
    build_outcomes(cast.harbour, [cast.tess, cast.alice], 40)
    _sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/outcomes/")
    page.get_by_role("heading", name="How clients are doing").wait_for()
    page.locator(".chart svg, .chart canvas").first.wait_for()
    assert page.get_by_text("improved reliably").first.is_visible()
    screenshot("outcomes-dashboard")
    page.get_by_role("link", name="The statistics in full").click()
    page.get_by_role("heading", name="Patient Health Questionnaire-9 (PHQ-9)").wait_for()
    page.locator(".chart svg, .chart canvas").first.wait_for()
    assert page.get_by_text("Pre–post effect size").first.is_visible()
    screenshot("outcomes-details")
    make_study(cast.harbour, key="doe2019", citation="Doe J.", year=2019, scale="BDI")
    make_study(cast.harbour, key="roe2021", citation="Roe R.", year=2021, scale="CES-D", yi=0.1)
    page.goto(f"{live_server.url}/evidence/synthesis/?domain=")
    # a published meta-analysis and a sleep trial: refused with the reason, nothing pooled
    page.get_by_label("Hou 2010").check()
    page.get_by_label("Jane 2011").check()
    page.get_by_role("button", name="Run the meta-analysis").click()
    page.get_by_text("Different outcome domains cannot be pooled").wait_for()
    assert page.get_by_role("heading", name="Pooled estimate", exact=True).count() == 0
    page.get_by_label("Hou 2010").uncheck()
    page.get_by_label("Jane 2011").uncheck()
    page.get_by_label("Doe 2019").check()
    page.get_by_label("Roe 2021").check()
    page.get_by_label("Show this clinic's practice-based estimate").select_option("phq9")
    page.get_by_role("button", name="Run the meta-analysis").click()
    page.get_by_role("heading", name="Pooled estimate", exact=True).wait_for()
    assert page.locator("figure.meta-figure svg").count() == 2
    assert page.get_by_text("practice-based, uncontrolled pre–post").is_visible()
    assert page.get_by_role("heading", name="Beside the pooled estimate, not pooled").is_visible()
    screenshot("evidence-synthesis")
