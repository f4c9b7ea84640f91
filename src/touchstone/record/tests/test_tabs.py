"""The client record's tabs (issue 17 §1): every tab is a page under /clients/<id>/, a role
sees the tabs its permissions open and is refused the others, each tab runs the same number
of queries whatever the size of the record, and archiving asks first."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from touchstone.accounts.roles import Role, role_has
from touchstone.audit.models import AuditEvent
from touchstone.billing.tests.factories import completed
from touchstone.care.tests.factories import make_episode, make_medication, make_visit
from touchstone.clients.models import Client
from touchstone.conftest import Cast, make_client
from touchstone.measures.tests.factories import answered
from touchstone.physiology.tests.factories import make_sample
from touchstone.record.tabs import TABS
from touchstone.scheduling.tests.factories import local, make_appointment, next_weekday

_TAB_LINK = re.compile(r'<nav class="record-tabs"[^>]*>(.*?)</nav>', re.S)


def _shown_tabs(html: str) -> list[str]:
    (nav,) = _TAB_LINK.findall(html)
    return re.findall(r'<a href="([^"]+)"', nav)


def test_every_tab_requires_the_permission_the_tab_bar_checks():
    for tab in TABS:
        view = resolve(reverse(tab.url_name, args=[1])).func
        assert view.touchstone_permission == tab.permission, tab.key  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", [Role.OWNER, Role.CLINICIAN, Role.THERAPIST, Role.FRONT_DESK])
def test_each_role_sees_the_tabs_it_may_open_and_is_refused_the_rest(cast: Cast, role: str):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.by_role()[role])
    shown = _shown_tabs(http.get(f"/clients/{client.pk}/").content.decode())
    for tab in TABS:
        url = reverse(tab.url_name, args=[client.pk])
        if role_has(role, tab.permission):
            assert url in shown, (role, tab.key)
            page = http.get(url)
            assert page.status_code == 200, (role, tab.key)
            # The tab's own page carries the same tab bar and marks itself as the current one.
            assert f'<a href="{url}" aria-current="page">' in page.content.decode()
            assert _shown_tabs(page.content.decode()) == shown
        else:
            assert url not in shown, (role, tab.key)
            assert http.get(url).status_code == 403, (role, tab.key)


def test_the_front_desk_gets_appointments_billing_and_documents_but_no_clinical_tab(cast: Cast):
    client = make_client(cast.harbour)
    shown = _shown_tabs(cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/").content.decode())
    assert shown == [
        f"/clients/{client.pk}/",
        f"/clients/{client.pk}/appointments/",
        f"/clients/{client.pk}/billing/",
        f"/clients/{client.pk}/documents/",
    ]


def _scored_alert(cast: Cast, client: Client) -> None:
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=30))
    answered(client, cast.tess, "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 0], at=_days_ago(29))
    answered(client, cast.tess, "phq9", [1, 1, 0, 1, 0, 0, 0, 0, 2], at=_days_ago(1))


def _days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_the_overview_shows_scores_alerts_and_the_next_appointment(cast: Cast):
    client = make_client(cast.harbour)
    _scored_alert(cast, client)
    booked = make_appointment(
        cast.harbour, cast.tess, client, local(next_weekday(), 10, clinic=cast.harbour)
    )
    page = cast.browser_for(cast.bob).get(f"/clients/{client.pk}/")
    html = page.content.decode()
    assert page.context["next_appointment"] is not None and "Next appointment" in html
    when = booked.starts_at.astimezone(cast.harbour.zone).strftime("%Y-%m-%d %H:%M")
    assert f'<a href="{reverse("scheduling:appointment", args=[booked.pk])}">' in html
    assert when in html
    assert f"{booked.service.name} with {cast.tess.display_name} " in html
    assert '<span class="tag">booked</span>' in html
    assert "Latest scores" in html and "improved by more than day-to-day" in html
    assert "Open risk alert" in html and "risk item answered positively" in html


def test_the_front_desk_overview_shows_an_open_alert_but_no_score_or_answer(cast: Cast):
    client = make_client(cast.harbour)
    _scored_alert(cast, client)
    page = cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/")
    html = page.content.decode()
    assert "Open risk alert" in html and "handled by" in html
    assert "series" not in page.context and "Latest scores" not in html
    assert "risk item answered positively" not in html and "reliably" not in html


def test_the_overview_says_when_the_clinic_has_no_clinician_to_take_an_open_alert(cast: Cast):
    client = make_client(cast.harbour)
    _scored_alert(cast, client)
    desk, url = cast.browser_for(cast.fiona), f"/clients/{client.pk}/"
    assert "handled by a clinician (not yet taken)" in desk.get(url).content.decode()
    cast.bob.is_active = False  # Harbour's only clinician leaves
    cast.bob.save(update_fields=["is_active"])
    html = desk.get(url).content.decode()
    assert "· no clinician in this clinic yet — its alert notices go to the owner" in html
    assert "a clinician (not yet taken)" not in html


def test_archiving_asks_first_and_archives_only_on_the_confirmations_post(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.alice)
    overview = http.get(f"/clients/{client.pk}/").content.decode()
    # No one-click archive button on the record: a secondary link to the confirmation.
    assert f'action="/clients/{client.pk}/archive/"' not in overview
    assert f'href="/clients/{client.pk}/archive/"' in overview
    confirmation = http.get(f"/clients/{client.pk}/archive/")
    assert confirmation.status_code == 200 and "Archive the client" in confirmation.content.decode()
    client.refresh_from_db()
    assert not client.is_archived
    assert http.post(f"/clients/{client.pk}/archive/").status_code == 302
    client.refresh_from_db()
    assert client.is_archived


def test_documents_offer_reports_only_once_there_is_an_episode(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.bob)
    html = http.get(f"/clients/{client.pk}/documents/").content.decode()
    assert f"/clients/{client.pk}/reports/progress/" not in html
    assert f"/clients/{client.pk}/reports/superbill/" not in html
    assert "has none yet" in html
    make_episode(cast.harbour, client)
    html = http.get(f"/clients/{client.pk}/documents/").content.decode()
    assert f"/clients/{client.pk}/reports/progress/" in html
    assert f"/clients/{client.pk}/reports/superbill/" in html


def test_documents_show_the_front_desk_the_account_but_no_clinical_document(cast: Cast):
    client = make_client(cast.harbour)
    make_episode(cast.harbour, client)
    html = cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/documents/").content.decode()
    assert f"/clients/{client.pk}/billing/statement/" in html
    assert "/reports/" not in html and "fhir" not in html.lower()


def test_the_old_visit_list_address_opens_the_chart(cast: Cast):
    client = make_client(cast.harbour)
    response = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/visits/?page=2")
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{client.pk}/chart/?page=2"


def test_the_chart_shows_episodes_medications_and_each_visits_body_map(cast: Cast):
    client = make_client(cast.harbour)
    make_episode(cast.harbour, client=client, title="Sleep and tension")
    make_medication(cast.harbour, client=client)
    make_visit(cast.harbour, client=client, status="completed", body_map={"neck_front": 3})
    html = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/chart/").content.decode()
    assert "Sleep and tension" in html and "Sertraline (psychotropic)" in html
    assert "Neck (front): severe" in html


def test_each_tab_records_its_read(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.alice)
    for detail in ("appointments", "documents"):
        http.get(f"/clients/{client.pk}/{detail}/")
        assert AuditEvent.objects.filter(
            action="read", object_id=str(client.pk), detail=detail
        ).exists()
    http.get(f"/clients/{client.pk}/chart/")
    assert AuditEvent.objects.filter(
        action="read", object_id=str(client.pk), detail__startswith="chart"
    ).exists()


def _grow(cast: Cast, client: Client, n: int) -> None:
    """``n`` more of everything a tab lists: visits, appointments, scores, samples."""
    episode = make_episode(cast.harbour, client) if n == 1 else None
    for i in range(n):
        make_visit(
            cast.harbour,
            client=client,
            episode=episode,
            status="completed",
            body_map={"neck_front": 2},
            starts_at=_days_ago(40 + i),
        )
        completed(cast.harbour, client, days_ago=2 + i)
        answered(client, cast.tess, "gad7", [1] * 7, at=_days_ago(30 - i))
        make_sample(cast.harbour, client, collected_at=_days_ago(3 + i))


def test_every_tab_runs_the_same_number_of_queries_for_a_small_and_a_large_record(cast: Cast):
    client = make_client(cast.harbour)
    _grow(cast, client, 1)
    http = cast.browser_for(cast.alice)
    urls = [reverse(tab.url_name, args=[client.pk]) for tab in TABS]

    def counts() -> dict[str, int]:
        found = {}
        for url in urls:
            http.get(url)  # warm: sessions, caches
            with CaptureQueriesContext(connection) as queries:
                assert http.get(url).status_code == 200, url
            found[url] = len(queries)
        return found

    small = counts()
    _grow(cast, client, 6)
    assert counts() == small


def _answered_before_any_episode(cast: Cast, client: Client) -> None:
    """The tryout: PHQ-9 and GAD-7 answered through a private link before any episode."""
    answered(client, cast.tess, "phq9", [1] * 9, mode="portal", at=_days_ago(2))
    answered(client, cast.tess, "gad7", [1] * 7, mode="portal", at=_days_ago(1))


def test_the_overview_shows_the_latest_scores_of_a_client_without_an_episode(cast: Cast):
    # The tryout's Overview showed "—" as the latest PHQ-9 and GAD-7: "Latest" was the
    # follow-up change is judged on, and without an episode of care there is none.
    client = make_client(cast.harbour)
    _answered_before_any_episode(cast, client)
    html = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/").content.decode()
    when = _days_ago(2).astimezone(cast.harbour.zone).date().isoformat()
    assert f'<td data-label="Latest">9 · mild <span class="muted">({when})</span></td>' in html
    assert '<td data-label="Latest">7 · mild' in html
    assert "this client has none yet" in html
    start = f'<a href="/clients/{client.pk}/episodes/new/">Start an episode of care'
    assert start in html
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=3))
    html = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/").content.decode()
    assert start not in html and '<td data-label="Latest">9 · mild' in html


def test_the_front_desk_sees_neither_those_scores_nor_the_offer_of_an_episode(cast: Cast):
    client = make_client(cast.harbour)
    _answered_before_any_episode(cast, client)
    page = cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/")
    html = page.content.decode()
    assert "series" not in page.context and "needs_episode" not in page.context
    assert "Latest scores" not in html and "mild" not in html and "episodes/new" not in html
