"""Body and mind: the association pages' numbers against scipy on the same pairs, the
causation note, small n, and researchers' suppression and consent rules."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from scipy import stats

from touchstone.conftest import Cast, make_client
from touchstone.measures.models import Administration
from touchstone.measures.tests.factories import answered
from touchstone.physiology.tests.factories import make_recording

NOW = dt.datetime.now(dt.UTC)


def _client_with(
    cast: Cast, phq: tuple[int, int], rmssd: tuple[float, float], consent: bool = True
):
    client = make_client(
        cast.harbour,
        research_consent=consent,
        research_consent_on=dt.date(2024, 1, 10) if consent else None,
    )
    for total, days_ago in zip(phq, (70, 5), strict=True):
        a = answered(client, cast.tess, "phq9", _items(total))
        Administration.objects.filter(pk=a.pk).update(
            completed_at=NOW - dt.timedelta(days=days_ago)
        )
    for value, days_ago in zip(rmssd, (72, 4), strict=True):
        make_recording(
            cast.harbour, client, rmssd=value, recorded_at=NOW - dt.timedelta(days=days_ago)
        )
    return client


def _items(total: int) -> list[int]:
    items = [0] * 9
    for i in range(total):
        items[i % 8] += 1  # item 9 stays 0
    return items


DATA = [
    ((18, 9), (25.0, 38.0)),
    ((14, 12), (30.0, 31.0)),
    ((20, 6), (22.0, 41.0)),
    ((11, 12), (35.0, 33.0)),
    ((16, 8), (28.0, 36.5)),
    ((12, 10), (40.0, 41.0)),
]


def test_the_clinic_page_matches_scipy_and_says_association_is_not_causation(cast: Cast):
    for phq, rmssd in DATA:
        _client_with(cast, phq, rmssd)
    response = cast.browser_for(cast.bob).get("/physiology/association/")
    row = next(r for r in response.context["rows"] if (r.measure, r.symptom) == ("rmssd", "phq9"))
    d_body = [b - a for _, (a, b) in DATA]
    d_mind = [b - a for (a, b), _ in DATA]
    pearson = stats.pearsonr(d_body, d_mind)
    ci = pearson.confidence_interval(0.95)
    assert row.result.n == 6
    assert row.result.pearson_r == pytest.approx(pearson.statistic, abs=1e-12)
    assert (row.result.pearson_ci_low, row.result.pearson_ci_high) == pytest.approx(
        (ci.low, ci.high)
    )
    assert row.result.spearman_rho == pytest.approx(stats.spearmanr(d_body, d_mind).statistic)
    html = response.content.decode()
    assert f"{pearson.statistic:.3f}" in html and "Association is not causation" in html
    assert "small n" in html


def test_researchers_see_consenting_clients_only_and_small_cells_suppressed(cast: Cast):
    for phq, rmssd in DATA:
        _client_with(cast, phq, rmssd)
    _client_with(cast, (20, 5), (20.0, 50.0), consent=False)
    owner = cast.browser_for(cast.alice).get("/physiology/association/")
    assert next(r for r in owner.context["rows"] if r.measure == "rmssd").result.n == 7
    rita = cast.browser_for(cast.rita).get("/physiology/association/")
    html = rita.content.decode()
    assert "Suppressed: fewer than 11 clients" in html
    assert all(r.suppressed for r in rita.context["rows"])
    assert "Dana" not in html
    for _ in range(5):
        _client_with(cast, (15, 7), (30.0, 37.0))
    rows = cast.browser_for(cast.rita).get("/physiology/association/").context["rows"]
    rmssd = next(r for r in rows if (r.measure, r.symptom) == ("rmssd", "phq9"))
    assert not rmssd.suppressed and rmssd.result.n == 11  # the non-consenting client left out


def test_one_clients_association_uses_intervals_between_scores(cast: Cast):
    client = make_client(cast.harbour)
    pairs = [(60, 18, 24.0), (45, 15, 27.0), (30, 13, 29.0), (15, 9, 34.0), (1, 8, 33.0)]
    for days_ago, total, rmssd in pairs:
        a = answered(client, cast.tess, "phq9", _items(total))
        Administration.objects.filter(pk=a.pk).update(
            completed_at=NOW - dt.timedelta(days=days_ago)
        )
        make_recording(
            cast.harbour, client, rmssd=rmssd, recorded_at=NOW - dt.timedelta(days=days_ago)
        )
    response = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/physiology/association/")
    row = next(r for r in response.context["rows"] if (r.measure, r.symptom) == ("rmssd", "phq9"))
    d_body = [b[2] - a[2] for a, b in itertools.pairwise(pairs)]
    d_mind = [b[1] - a[1] for a, b in itertools.pairwise(pairs)]
    assert row.result.n == 4
    assert row.result.pearson_r == pytest.approx(stats.pearsonr(d_body, d_mind).statistic)
    assert "not independent" in response.content.decode()


def test_it_links_the_clinic_page_from_the_outcomes_pages_and_the_researchers_home(cast: Cast):
    link = 'href="/physiology/association/"'
    for member, url in ((cast.alice, "/outcomes/"), (cast.bob, "/outcomes/"),
                        (cast.alice, "/outcomes/research/"), (cast.rita, "/outcomes/research/"),
                        (cast.rita, "/")):  # fmt: skip
        assert link in cast.browser_for(member).get(url).content.decode(), (member, url)
    assert link not in cast.browser_for(cast.tess).get("/").content.decode()
