from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from touchstone.audit.models import AuditEvent
from touchstone.care.tests.factories import make_episode
from touchstone.conftest import Cast, make_client
from touchstone.measures.models import Administration, RiskAlert
from touchstone.measures.tests.factories import answered

PHQ9_WITH_ITEM_9 = {f"phq9-{i}": "1" for i in range(1, 10)}


def test_staff_give_a_questionnaire_in_clinic_and_see_the_score(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    response = http.post(
        f"/clients/{client.pk}/questionnaires/new/", {"instrument_id": "phq9", "mode": "clinic"}
    )
    a = Administration.objects.get()
    assert response["Location"] == f"/measures/administrations/{a.pk}/"
    response = http.post(f"/measures/administrations/{a.pk}/", {**PHQ9_WITH_ITEM_9, "finish": "1"})
    assert response["Location"] == f"/measures/administrations/{a.pk}/result/"
    page = http.get(response["Location"]).content.decode()
    assert "9" in page and "mild" in page and "Risk alert" in page


def test_the_clinic_and_tablet_forms_show_the_licence_citation_once_after_the_questions(
    cast: Cast,
):
    # Issue 17: about 300 px of licence text, its "Developed by" sentence twice, came before
    # question 1 on a phone. The citation the licence requires is still on the form.
    http = cast.browser_for(cast.tess)
    for mode in ("clinic", "tablet"):  # the tablet last: it locks the staff pages
        client = make_client(cast.harbour)
        http.post(
            f"/clients/{client.pk}/questionnaires/new/", {"instrument_id": "phq9", "mode": mode}
        )
        a = Administration.objects.filter(mode=mode).get()
        page = http.get(f"/measures/administrations/{a.pk}/").content.decode()
        assert page.count("Developed by Drs. Robert L. Spitzer") == 1, mode
        assert page.index('class="qnum"') < page.index("Developed by") < page.rindex("</form>")


def test_a_partial_save_stays_in_progress(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    http.post(
        f"/clients/{client.pk}/questionnaires/new/", {"instrument_id": "gad7", "mode": "clinic"}
    )
    a = Administration.objects.get()
    http.post(f"/measures/administrations/{a.pk}/", {"gad7-1": "2", "save": "1"})
    a.refresh_from_db()
    assert a.status == "in_progress" and a.answers == {"gad7-1": 2}


def test_tablet_mode_shows_only_the_form_and_locks_staff_pages_until_hand_back(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    http.post(
        f"/clients/{client.pk}/questionnaires/new/", {"instrument_id": "phq9", "mode": "tablet"}
    )
    a = Administration.objects.get()
    form = http.get(f"/measures/administrations/{a.pk}/").content.decode()
    assert 'href="/clients/"' not in form  # no staff navigation on the tablet
    thanks = http.post(f"/measures/administrations/{a.pk}/", {**PHQ9_WITH_ITEM_9, "finish": "1"})
    page = thanks.content.decode()
    assert "988" in page and "hand the tablet back" in page
    assert http.get(f"/clients/{client.pk}/")["Location"] == "/measures/tablet/hand-back/"
    wrong = http.post("/measures/tablet/hand-back/", {"password": "guess"})
    assert "not your password" in wrong.content.decode()
    http.post("/measures/tablet/hand-back/", {"password": "correct horse battery"})
    assert http.get(f"/clients/{client.pk}/").status_code == 200


def test_clinicians_record_the_action_and_the_alert_leaves_the_home_page(cast: Cast):
    client = make_client(cast.harbour, given_name="Ivy")
    answered(client, cast.tess, "phq9", [0] * 8 + [2])
    alert = RiskAlert.objects.get()
    bob = cast.browser_for(cast.bob)
    assert "Open and record the action" in bob.get("/").content.decode()
    missing = bob.post(f"/measures/alerts/{alert.pk}/", {"action_taken": "  "})
    assert "This field is required" in missing.content.decode()
    bob.post(f"/measures/alerts/{alert.pk}/", {"action_taken": "Same-day assessment; safety plan."})
    alert.refresh_from_db()
    assert not alert.is_open and alert.closed_by == cast.bob
    assert "Open risk alerts" not in bob.get("/").content.decode()


def test_therapists_see_that_an_alert_exists_and_who_handles_it_but_not_why(cast: Cast):
    answered(make_client(cast.harbour, given_name="Ivy"), cast.tess, "phq9", [0] * 8 + [3])
    alert = RiskAlert.objects.get()
    cast.browser_for(cast.bob).post(f"/measures/alerts/{alert.pk}/", {"take": "1"})
    tess = cast.browser_for(cast.tess)
    page = tess.get("/measures/alerts/").content.decode()
    assert "Ivy" in page and "Bob" in page
    assert "Risk item answered positively" not in page
    assert tess.get(f"/measures/alerts/{alert.pk}/").status_code == 403


def test_the_alert_page_shows_how_to_reach_the_client_and_audits_the_read(cast: Cast):
    """Issue 10 §4: the clinician acts from the alert page itself: the client's phone, the
    emergency contact and a link to the client; only roles that handle alerts open it."""
    client = make_client(
        cast.harbour,
        given_name="Ivy",
        phone="555-010-2233",
        emergency_contact_name="Sam Rowe",
        emergency_contact_relation="partner",
        emergency_contact_phone="555-010-4455",
    )
    answered(client, cast.tess, "phq9", [0] * 8 + [2])
    alert = RiskAlert.objects.get()
    page = cast.browser_for(cast.bob).get(f"/measures/alerts/{alert.pk}/").content.decode()
    assert '<a href="tel:555-010-2233">555-010-2233</a>' in page
    assert "Sam Rowe (partner)" in page and '<a href="tel:555-010-4455">' in page
    assert escape(cast.harbour.crisis_line) in page
    assert (
        f'href="/clients/{client.pk}/"' in page and f'href="/clients/{client.pk}/progress/"' in page
    )
    assert AuditEvent.objects.filter(
        actor=cast.bob.user,
        action="read",
        object_type="clients.client",
        object_id=str(client.pk),
        detail=f"contact details, risk alert {alert.pk}",
    ).exists()
    for member in (cast.tess, cast.fiona, cast.alice):
        assert cast.browser_for(member).get(f"/measures/alerts/{alert.pk}/").status_code == 403
    listing = cast.browser_for(cast.tess).get("/measures/alerts/").content.decode()
    assert "555-010-2233" not in listing and "Sam Rowe" not in listing


def _count_queries(http: HttpClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url).status_code == 200
    return len(queries)


def test_the_home_page_queries_do_not_grow_with_alerts_and_scores(cast: Cast):
    bob = cast.browser_for(cast.bob)

    def add(n: int) -> None:
        for _ in range(n):
            client = make_client(cast.harbour)
            answered(client, cast.tess, "phq9", [0] * 9)
            answered(client, cast.tess, "phq9", [3] * 8 + [1])

    add(2)
    few = _count_queries(bob, "/")
    add(8)
    assert _count_queries(bob, "/") == few


def test_the_alert_list_queries_do_not_grow(cast: Cast, django_assert_max_num_queries: Any):
    for _ in range(15):
        answered(make_client(cast.harbour), cast.tess, "phq9", [0] * 8 + [1])
    tess = cast.browser_for(cast.tess)
    with django_assert_max_num_queries(10):
        tess.get("/measures/alerts/")


def _tablet_locked(cast: Cast) -> tuple[HttpClient, Administration]:
    http = cast.browser_for(cast.tess)
    holder = make_client(cast.harbour, given_name="Holder")
    http.post(
        f"/clients/{holder.pk}/questionnaires/new/", {"instrument_id": "phq9", "mode": "tablet"}
    )
    return http, Administration.objects.get(client=holder)


def test_it_keeps_the_tablet_on_its_own_form_not_another_clients_in_clinic_form(cast: Cast):
    other = make_client(cast.harbour, given_name="Olive")
    in_clinic = answered(other, cast.tess, "gad7", [2, 2, 2] + [None] * 4, complete=False)
    http, _ = _tablet_locked(cast)
    response = http.get(f"/measures/administrations/{in_clinic.pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/measures/tablet/hand-back/"
    posted = http.post(f"/measures/administrations/{in_clinic.pk}/", {"gad7-4": "3", "save": "1"})
    assert posted["Location"] == "/measures/tablet/hand-back/"
    in_clinic.refresh_from_db()
    assert "gad7-4" not in in_clinic.answers


def test_it_keeps_two_factor_setup_out_of_reach_while_a_client_holds_the_tablet(cast: Cast):
    http, _ = _tablet_locked(cast)
    response = http.get("/accounts/two-factor/")
    assert response.status_code == 302
    assert response["Location"] == "/measures/tablet/hand-back/"


def test_it_throttles_password_guesses_on_the_hand_back_screen(cast: Cast, settings: Any):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    http, _ = _tablet_locked(cast)
    for _ in range(3):
        http.post("/measures/tablet/hand-back/", {"password": "guess"})
    http.post("/measures/tablet/hand-back/", {"password": "correct horse battery"})
    assert http.get("/clients/")["Location"] == "/measures/tablet/hand-back/"


def test_it_shows_the_alert_reason_on_the_result_page_only_to_clinicians(cast: Cast):
    a = answered(make_client(cast.harbour), cast.tess, "phq9", [0] * 8 + [2])
    url = f"/measures/administrations/{a.pk}/result/"
    for member in (cast.tess, cast.alice):
        page = cast.browser_for(member).get(url).content.decode()
        assert "Risk alert" in page and "Risk item answered positively" not in page
    assert cast.browser_for(cast.fiona).get(url).status_code == 403  # no scores at all
    assert "Risk item answered positively" in cast.browser_for(cast.bob).get(url).content.decode()


def test_give_now_opens_the_questionnaire_the_clinician_chose(cast: Cast):
    # Issue 17 §4: "Give now" on a due GAD-7 opened the form at the first instrument.
    client = make_client(cast.harbour)
    page = cast.browser_for(cast.bob).get(
        f"/clients/{client.pk}/questionnaires/new/?instrument=gad7"
    )
    assert page.context["form"]["instrument_id"].value() == "gad7"
    assert '<option value="gad7" selected>' in page.content.decode()


def test_the_questionnaire_form_starts_at_what_the_plan_makes_due(cast: Cast):
    client = make_client(cast.harbour)
    make_episode(cast.harbour, client, plan_intake=["gad7"], plan_periodic=[])
    page = cast.browser_for(cast.bob).get(f"/clients/{client.pk}/questionnaires/new/")
    assert page.context["form"]["instrument_id"].value() == "gad7"


def test_an_unknown_chosen_questionnaire_is_not_preselected(cast: Cast):
    client = make_client(cast.harbour)
    page = cast.browser_for(cast.bob).get(f"/clients/{client.pk}/questionnaires/new/?instrument=x")
    assert page.status_code == 200 and page.context["form"]["instrument_id"].value() is None


def test_the_alert_list_says_when_the_clinic_has_no_clinician_to_take_an_alert(cast: Cast):
    answered(make_client(cast.harbour, given_name="Ivy"), cast.tess, "phq9", [0] * 8 + [2])
    una = make_client(cast.northside, given_name="Una")
    answered(una, cast.charlie, "phq9", [0] * 8 + [1])
    harbour = cast.browser_for(cast.tess).get("/measures/alerts/").content.decode()
    assert "a clinician (not yet taken)" in harbour  # Bob can take it
    lone = cast.browser_for(cast.charlie).get("/measures/alerts/").content.decode()
    assert "Una" in lone and "a clinician (not yet taken)" not in lone
    invite = '<a href="/accounts/staff/invite/?role=clinician">invite one</a>'
    assert f"no clinician in this clinic yet — {invite}" in lone
    # The owner, who may not open the alert, reaches the client's record (to call them).
    assert f'<a href="/clients/{una.pk}/">Una' in lone
