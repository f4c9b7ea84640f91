"""The progress page reads the client's administrations and episodes once and hands them to
the trajectory and body panels (issue 11 §2): each panel must be the one it reads alone."""

from __future__ import annotations

import datetime as dt

from touchstone.care.tests.factories import make_episode
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of
from touchstone.measures.models import Administration
from touchstone.measures.selectors import questionnaire_progress
from touchstone.outcomes.actions import do_fit_trajectory
from touchstone.outcomes.tests.factories import build_outcomes
from touchstone.outcomes.trajectories import client_trajectories
from touchstone.physiology.selectors import client_overview, progress_panel
from touchstone.physiology.tests.factories import make_recording, make_sample, make_sleep_night


def test_the_panels_made_from_the_pages_rows_are_those_read_alone(cast: Cast):
    data = build_outcomes(cast.harbour, [cast.tess], 24, seed=5)
    for instrument_id in ("phq9", "gad7"):
        do_fit_trajectory(actor_of(cast.alice), cast.harbour, instrument_id)
    first = data[0]
    client = Client.objects.get(pk=first.client_id)
    # A second episode overlapping the first, a questionnaire still being filled (no total,
    # no completion time) and the body's measures.
    make_episode(cast.harbour, client, started_on=first.started_on + dt.timedelta(weeks=2))
    Administration.objects.create(
        clinic=cast.harbour, client=client, instrument_id="phq9", mode="clinic"
    )
    make_sample(cast.harbour, client)
    make_recording(cast.harbour, client, timing="before")
    make_sleep_night(cast.harbour, client)
    with_trajectories = 0
    for client in Client.objects.filter(pk__in=[d.client_id for d in data[:4]]):
        page = questionnaire_progress(cast.bob, client)
        shared = client_trajectories(cast.bob, client, page.administrations, page.episodes)
        assert shared == client_trajectories(cast.bob, client)
        with_trajectories += bool(shared)
        panel = progress_panel(cast.bob, client, page.administrations)
        assert panel is not None and panel.points
        assert panel.points == client_overview(cast.bob, client).points
    assert with_trajectories  # the comparison is not between two empty lists
