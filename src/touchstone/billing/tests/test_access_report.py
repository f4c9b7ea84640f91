"""The access report's outcomes by tier are stored (issue 14: computing them on the view took
12.6 s at 10,000 clients): the stored figures equal the live computation, and a new tier
assessment or a new score marks them out of date."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal as D

from django.utils import timezone

from touchstone.audit.actor import Actor
from touchstone.billing import actions
from touchstone.billing.access_report import (
    access_outcomes_current,
    access_report,
    refresh_access_outcomes,
    tier_outcomes,
)
from touchstone.billing.models import AccessSummary, FeeTier
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of
from touchstone.measures.models import Administration, Mode, Status
from touchstone.outcomes.summaries import refresh_clinic
from touchstone.outcomes.tests.factories import build_outcomes


def _assess(cast: Cast, client: Client, income: int) -> None:
    actions.do_assess_tier(
        actor_of(cast.fiona),
        client,
        {"household_size": 1, "annual_income": D(income), "region": "contiguous",
         "verification": "document", "review_on": timezone.localdate().replace(year=2099)},
    )  # fmt: skip


def _clinic_with_outcomes(cast: Cast) -> list[Client]:
    """40 clients with an episode and PHQ-9/GAD-7 scores; 24 assessed into the lowest tier
    (enough for its figures to be shown), the rest never assessed."""
    actions.do_install_default_tiers(actor_of(cast.alice))
    data = build_outcomes(cast.harbour, [cast.tess], 40, seed=5)
    clients = list(Client.objects.filter(pk__in=[d.client_id for d in data]).order_by("pk"))
    for client in clients[:24]:
        _assess(cast, client, 9000)
    return clients


def _plain(outcomes: dict) -> dict:
    return {key: [asdict(i) for i in rows] for key, rows in outcomes.items()}


def test_the_stored_outcomes_equal_the_live_computation(cast: Cast):
    _clinic_with_outcomes(cast)
    report = access_report(cast.harbour)  # first use: computed and stored
    stored = AccessSummary.objects.get(clinic=cast.harbour)
    assert stored.outcomes == _plain(tier_outcomes(cast.harbour))
    assert report.current
    lowest = next(r for r in report.rows if r.tier == "A (pro bono)")
    assert lowest.outcomes[0].n == 24  # 24 followed-up episodes: shown (classes of 1-10 not)
    assert next(r for r in report.rows if r.tier == "B").outcomes[0].n is None  # nobody
    # Read again, the report comes from the stored row: the same figures.
    again = access_report(cast.harbour)
    assert [r.outcomes for r in again.rows] == [r.outcomes for r in report.rows]


def test_a_new_tier_assessment_or_score_marks_the_stored_outcomes_stale(cast: Cast):
    clients = _clinic_with_outcomes(cast)
    summary = refresh_access_outcomes(cast.harbour)
    assert access_outcomes_current(cast.harbour, summary)

    _assess(cast, clients[30], 60000)  # a client moves into a paying tier
    assert not access_outcomes_current(cast.harbour, summary)
    summary = refresh_access_outcomes(cast.harbour)
    assert access_outcomes_current(cast.harbour, summary)

    Administration.objects.create(
        clinic=cast.harbour, client=clients[0], instrument_id="phq9", mode=Mode.CLINIC,
        status=Status.COMPLETED, total=3, computable=True,
        started_at=timezone.now() - dt.timedelta(hours=1), completed_at=timezone.now(),
    )  # fmt: skip
    assert not access_outcomes_current(cast.harbour, summary)


def test_stale_figures_of_a_large_clinic_are_shown_as_stored_until_the_summaries_job(cast: Cast):
    clients = _clinic_with_outcomes(cast)
    summary = refresh_access_outcomes(cast.harbour)
    before = _plain(tier_outcomes(cast.harbour))
    AccessSummary.objects.filter(pk=summary.pk).update(seconds=30.0)  # as at 10,000 clients
    for client in clients[:24]:
        _assess(cast, client, 60000)  # everyone leaves the lowest tier
    report = access_report(cast.harbour)
    assert not report.current  # not recomputed inside the request: the stored figures
    lowest = FeeTier.objects.get(clinic=cast.harbour, name="A (pro bono)")
    row = next(r for r in report.rows if r.tier == lowest.name)
    assert [asdict(o) for o in row.outcomes] == before[str(lowest.pk)]
    assert before[str(lowest.pk)][0]["n"] == 24
    page = cast.browser_for(cast.alice).get("/billing/access/").content.decode()
    assert "records changed since" in page

    refresh_clinic(Actor.system("cli", cast.harbour), cast.harbour)  # the summaries job
    summary.refresh_from_db()
    assert access_outcomes_current(cast.harbour, summary)
    assert summary.outcomes == _plain(tier_outcomes(cast.harbour))
    assert access_report(cast.harbour).current
