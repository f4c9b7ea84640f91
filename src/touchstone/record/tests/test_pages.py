"""The client record's pages: the client page and the progress page compose every app's
panel for the roles that may read it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.care.models import Visit
from touchstone.care.tests.factories import make_episode, make_visit
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.tests.factories import answered
from touchstone.messaging.actions import do_queue_client_message
from touchstone.outcomes.actions import do_fit_trajectory
from touchstone.outcomes.tests.factories import build_outcomes
from touchstone.portal.actions import do_create_portal_link


def test_it_shows_the_detail_page(cast: Cast, as_alice: HttpClient):
    client = make_client(
        cast.harbour, emergency_contact_name="Kim", emergency_contact_phone="555 1234"
    )
    page = as_alice.get(f"/clients/{client.pk}/").content.decode()
    assert "Dana Example" in page and "Kim" in page


def test_the_progress_page_charts_every_instrument_with_a_table_alternative(cast: Cast):
    client = make_client(cast.harbour)
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=30))
    answered(client, cast.tess, "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 0], at=_days_ago(29))
    answered(client, cast.tess, "phq9", [1, 1, 0, 1, 0, 0, 0, 0, 0], at=_days_ago(1))
    page = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/progress/")
    html = page.content.decode()
    assert 'id="chart-data-phq9"' in html and "<table>" in html
    assert "improved by more than day-to-day ups and downs" in html
    assert "reliably better" in html


def test_the_progress_page_names_its_sources_in_words_not_file_names_or_keys(cast: Cast):
    # Issue 17 §4: the definitions' notes cite "[Kroenke-2001]" and "per instruments.md 2.3";
    # the bands and the cut-off read "Kroenke 2001", and every questionnaire given has an
    # "Answers" link that says which one it opens.
    client = make_client(cast.harbour)
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=30))
    answered(client, cast.tess, "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 0], at=_days_ago(29))
    answered(client, cast.tess, "phq9", [1, 1, 0, 1, 0, 0, 0, 0, 0], at=_days_ago(1))
    html = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/progress/").content.decode()
    assert "source: Kroenke 2001; alert on 20-27)" in html
    assert ".md" not in html and not re.search(r"\[[A-Z][a-z]+-[0-9]{4}\]", html)
    assert html.count('Answers<span class="sr-only"> to PHQ-9, 20') == 2


def _days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_two_scores_minutes_apart_are_not_called_a_change(cast: Cast):
    # Issue 10 §3: two PHQ-9s minutes apart were "Recovered". The follow-up must come one
    # recall period (2 weeks) after the baseline; earlier scores are shown, not classified.
    client = make_client(cast.harbour)
    make_episode(cast.harbour, client, started_on=timezone.localdate())
    answered(client, cast.tess, "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 0], at=_days_ago(0))
    answered(client, cast.tess, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 0])
    html = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/progress/").content.decode()
    assert "Too soon to compare" in html and "too soon to compare" in html
    assert "reliably better" not in html and "Recovered" not in html


def test_the_baseline_is_the_episodes_not_the_first_score_ever(cast: Cast):
    client = make_client(cast.harbour)
    answered(client, cast.tess, "phq9", [0] * 9, at=_days_ago(400))  # an earlier course
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=40))
    answered(client, cast.tess, "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 0], at=_days_ago(40))
    answered(client, cast.tess, "phq9", [3, 3, 3, 3, 2, 2, 2, 2, 0], at=_days_ago(1))
    page = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/progress/")
    (series,) = page.context["series"]
    assert (series.baseline.total, series.latest.total) == (18, 20)
    assert series.points[0].status == "outside"


def test_scores_without_an_episode_say_how_to_open_one(cast: Cast):
    # The tryout's progress page said "none yet" under each chart, and nothing of how to
    # start the episode of care change is judged in.
    client = make_client(cast.harbour)
    answered(client, cast.tess, "phq9", [1] * 9, mode="portal", at=_days_ago(1))
    http = cast.browser_for(cast.tess)
    html = http.get(f"/clients/{client.pk}/progress/").content.decode()
    start = f'<a href="/clients/{client.pk}/episodes/new/">Start an episode of care</a>'
    assert 'id="no-episode"' in html and start in html
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=3))
    html = http.get(f"/clients/{client.pk}/progress/").content.decode()
    assert 'id="no-episode"' not in html and start not in html


def test_a_client_without_scores_is_not_asked_for_an_episode(cast: Cast):
    client = make_client(cast.harbour)
    html = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/progress/").content.decode()
    assert 'id="no-episode"' not in html and "No completed questionnaires yet." in html


def test_the_progress_page_shows_the_massage_record_to_those_who_treat_only(cast: Cast):
    client = make_client(cast.harbour)
    answered(client, cast.tess, "phq9", [1, 1, 0, 1, 0, 0, 0, 0, 0])
    make_visit(cast.harbour, client=client, status="completed", body_map={"neck_front": 2})
    tess = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/progress/")
    assert tess.status_code == 200
    assert tess.context["massage"] is not None and "Body-map tension" in tess.content.decode()
    owner = cast.browser_for(cast.alice).get(f"/clients/{client.pk}/progress/")
    assert owner.context["massage"] is not None
    # Front desk may not read scores at all: the page itself is refused.
    assert cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/progress/").status_code == 403


def test_the_client_page_lists_open_links_only_for_staff_who_send_them(cast: Cast):
    client = make_client(cast.harbour)
    fiona = cast.browser_for(cast.fiona)
    # The front desk sends questionnaire links (progress links show scores: clinicians only).
    fiona.post(f"/clients/{client.pk}/links/new/", {"instrument_ids": ["phq9"], "valid_days": "3"})
    assert len(fiona.get(f"/clients/{client.pk}/").context["open_links"]) == 1
    assert cast.browser_for(cast.alice).get(f"/clients/{client.pk}/").context["open_links"]


#: The Overview's queries for a clinician (session and audit included; PostgreSQL adds the
#: audit chain's advisory lock): 25 before the client page's own selectors were slimmed, 20
#: before the audit event stopped reading the client's clinic and the device check came
#: with the user.
OVERVIEW_QUERIES = 18


def test_the_overview_reads_at_most_its_fixed_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
):
    # Issue 11 §2: the Overview had 25 queries at 10,000 clients (the clinic due list's
    # machinery for one client, every administration with its author).
    client = make_client(cast.harbour, email="dana@example.org")
    make_episode(
        cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=30),
        plan_intake=["phq9", "gad7"],
    )  # fmt: skip
    answered(client, cast.tess, "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 1], at=_days_ago(29))
    answered(client, cast.tess, "phq9", [1, 1, 0, 1, 0, 0, 0, 0, 0], at=_days_ago(1))
    # Private links that still work, each with when its held message is to be sent: the same
    # query, however many links.
    for _ in range(3):
        link = do_create_portal_link(
            actor_of(cast.tess), client, "questionnaires", ["gad7"], _days_ago(-2)
        )
        do_queue_client_message(
            actor_of(cast.tess), client, key=f"link:{link.pk}", kind="questionnaires",
            context={"link": "https://touchstone.example/p/x/", "expires_at": link.expires_at},
            not_before=_days_ago(-1),
        )  # fmt: skip
    http = cast.browser_for(cast.bob)
    http.get(f"/clients/{client.pk}/")  # warm: the session
    with django_assert_max_num_queries(OVERVIEW_QUERIES + (connection.vendor == "postgresql")):
        page = http.get(f"/clients/{client.pk}/")
    html = page.content.decode()
    assert "Open risk alert" in html and "Latest scores" in html and "GAD-7" in html
    assert html.count("Questionnaires to fill, to be sent ") == 3


def test_the_progress_page_reads_each_table_once(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    """Issue 11 §2: the panels share what the page read (the client's administrations,
    episodes and visits) instead of reading them again: 27 queries before, 19 now, whatever
    the number of scores, visits and stored trajectory models."""
    data = build_outcomes(cast.harbour, [cast.tess], 30, seed=5)
    for instrument_id in ("phq9", "gad7"):
        do_fit_trajectory(actor_of(cast.alice), cast.harbour, instrument_id)
    client_id = data[0].client_id
    Visit.objects.filter(client_id=client_id).update(body_map={"neck_front": 2}, mood_before=4)
    http = cast.browser_for(cast.tess)
    http.get(f"/clients/{client_id}/progress/")
    with django_assert_max_num_queries(19):
        page = http.get(f"/clients/{client_id}/progress/")
    assert len(page.context["trajectories"]) == 2
    assert "Body-map tension" in page.content.decode()
