from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.accounts.roles import Role
from touchstone.audit.models import AuditEvent
from touchstone.care.tests.factories import make_episode
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.models import Administration, RiskAlert
from touchstone.measures.tests.factories import answered
from touchstone.portal.actions import do_create_portal_link
from touchstone.portal.models import PortalLink

ITEM_9 = {f"a{{pk}}-phq9-{i}": "0" for i in range(1, 9)} | {"a{pk}-phq9-9": "1"}


def _send(cast: Cast, *instrument_ids: str) -> tuple[str, PortalLink]:
    client = make_client(cast.harbour)
    response = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/links/new/",
        {"instrument_ids": list(instrument_ids), "valid_days": "3"},
    )
    url = re.search(r'value="(http[^"]+/p/[^"]+)"', response.content.decode()).group(1)
    return url.split("testserver", 1)[1], PortalLink.objects.get(client=client)


def _item9(link: PortalLink) -> dict[str, str]:
    pk = link.administrations.get().pk
    return {key.format(pk=pk): value for key, value in ITEM_9.items()}


def test_a_client_answers_without_an_account_and_sees_crisis_resources_at_once(cast: Cast):
    path, link = _send(cast, "phq9")
    phone = HttpClient()
    assert "Hello Dana" in phone.get(path).content.decode()
    page = phone.post(path, {**_item9(link), "finish": "1"}).content.decode()
    assert "Thank you" in page and "988" in page and cast.harbour.emergency_number in page
    alert = RiskAlert.objects.get()
    assert alert.client == link.client and alert.is_open
    assert AuditEvent.objects.filter(channel="portal").exists()


def test_the_crisis_screen_promises_no_clinician_to_a_clinic_without_one(cast: Cast):
    cast.bob.role = Role.THERAPIST  # harbour's only licensed clinician: its owner is told
    cast.bob.save(update_fields=["role"])
    path, link = _send(cast, "phq9")
    page = HttpClient().post(path, {**_item9(link), "finish": "1"}).content.decode()
    assert "Your clinic will see your answer and contact you." in page
    assert "clinician" not in page.lower()


def test_the_private_link_form_shows_the_licence_citation_once_after_the_questions(cast: Cast):
    # Issue 17: on a phone the licence text came twice before question 1.
    path, _ = _send(cast, "phq9")
    page = HttpClient().get(path).content.decode()
    assert page.count("Developed by Drs. Robert L. Spitzer") == 1
    assert page.index('class="qnum"') < page.index("Developed by") < page.rindex("</form>")


def test_the_link_works_once(cast: Cast):
    path, link = _send(cast, "gad2")
    phone = HttpClient()
    pk = link.administrations.get().pk
    phone.post(path, {f"a{pk}-gad2-1": "1", f"a{pk}-gad2-2": "0", "finish": "1"})
    again = phone.get(path)
    assert again.status_code == 404 and "not available" in again.content.decode()


def test_a_partial_save_keeps_the_link_open_and_shows_crisis_resources_for_a_risk_answer(
    cast: Cast,
):
    path, link = _send(cast, "phq9")
    phone = HttpClient()
    pk = link.administrations.get().pk
    page = phone.post(path, {f"a{pk}-phq9-9": "2", "save": "1"}).content.decode()
    assert "988" in page
    assert Administration.objects.get().status == "in_progress"
    assert phone.get(path).status_code == 200
    assert RiskAlert.objects.count() == 1


def test_the_link_expires(cast: Cast):
    path, _ = _send(cast, "phq2")
    with time_machine.travel(timezone.now() + dt.timedelta(days=4)):
        assert HttpClient().get(path).status_code == 404


@pytest.mark.parametrize("tamper", ["x", "-"])
def test_a_forged_or_damaged_link_shows_nothing(cast: Cast, tamper: str):
    path, _ = _send(cast, "phq2")
    assert HttpClient().get(path[:-3] + tamper + "/").status_code == 404


def test_a_link_must_expire_within_two_weeks(cast: Cast):
    with pytest.raises(ValidationError, match="14 days"):
        do_create_portal_link(
            actor_of(cast.tess),
            make_client(cast.harbour),
            "questionnaires",
            ["phq9"],
            timezone.now() + dt.timedelta(days=30),
        )


def test_a_progress_link_shows_the_client_their_own_scores_in_words(cast: Cast):
    client = make_client(cast.harbour)
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=20))
    weeks_ago = timezone.now() - dt.timedelta(days=20)
    answered(client, cast.tess, "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 0], at=weeks_ago)
    answered(client, cast.tess, "phq9", [0, 1, 0, 1, 0, 0, 0, 0, 0])
    response = cast.browser_for(cast.tess).post(f"/clients/{client.pk}/links/progress/")
    url = re.search(r'value="http://testserver([^"]+)"', response.content.decode()).group(1)
    page = HttpClient().get(url).content.decode()
    assert "Your progress, Dana" in page and "improved by more than day-to-day" in page
    assert "Kroenke 2001" in page and ".md" not in page and "[Kroenke" not in page
    assert "not a diagnosis" in page


def test_staff_revoke_a_link_and_it_stops_working_at_once(cast: Cast):
    path, link = _send(cast, "phq9")
    page = cast.browser_for(cast.tess).get(f"/clients/{link.client_id}/").content.decode()
    assert "Private links that still work" in page
    cast.browser_for(cast.fiona).post(f"/links/{link.pk}/revoke/")
    assert HttpClient().get(path).status_code == 404
    assert AuditEvent.objects.filter(action="revoke", object_type="portal.portallink").exists()


def test_a_link_stops_working_when_the_client_is_archived(cast: Cast):
    path, link = _send(cast, "phq9")
    cast.browser_for(cast.alice).post(f"/clients/{link.client_id}/archive/")
    assert HttpClient().get(path).status_code == 404


def test_the_front_desk_gives_questionnaires_but_does_not_read_scores(cast: Cast):
    client = make_client(cast.harbour)
    answered(client, cast.tess, "phq9", [1] * 9)
    fiona = cast.browser_for(cast.fiona)
    a = Administration.objects.get()
    assert fiona.get(f"/measures/administrations/{a.pk}/result/").status_code == 403
    assert fiona.get(f"/clients/{client.pk}/progress/").status_code == 403
    fiona.post(
        f"/clients/{client.pk}/questionnaires/new/", {"instrument_id": "gad2", "mode": "clinic"}
    )
    new = Administration.objects.get(instrument_id="gad2")
    done = fiona.post(
        f"/measures/administrations/{new.pk}/", {"gad2-1": "1", "gad2-2": "0", "finish": "1"}
    )
    assert done["Location"] == f"/clients/{client.pk}/"


def test_the_front_desk_cannot_share_or_open_a_progress_link(cast: Cast):
    client = make_client(cast.harbour)
    answered(client, cast.tess, "phq9", [1] * 9)
    fiona = cast.browser_for(cast.fiona)
    assert fiona.post(f"/clients/{client.pk}/links/progress/").status_code == 403
    with pytest.raises(PermissionDenied):
        do_create_portal_link(
            actor_of(cast.fiona), client, "progress", [], timezone.now() + dt.timedelta(days=7)
        )
    assert not PortalLink.objects.exists()
    # A link a therapist shared, opened in the front desk's signed-in browser.
    response = cast.browser_for(cast.tess).post(f"/clients/{client.pk}/links/progress/")
    url = re.search(r'value="http://testserver([^"]+)"', response.content.decode()).group(1)
    assert fiona.get(url).status_code == 403
    assert HttpClient().get(url).status_code == 200  # the client, on their own device


def test_the_front_desk_does_not_reopen_a_partly_answered_questionnaire(cast: Cast):
    client = make_client(cast.harbour)
    bob = cast.browser_for(cast.bob)
    bob.post(
        f"/clients/{client.pk}/questionnaires/new/", {"instrument_id": "phq9", "mode": "clinic"}
    )
    a = Administration.objects.get()
    bob.post(f"/measures/administrations/{a.pk}/", {"phq9-1": "2", "phq9-9": "3"})
    a.refresh_from_db()
    assert a.status == "in_progress" and a.answers["phq9-9"] == 3
    response = cast.browser_for(cast.fiona).get(f"/measures/administrations/{a.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/"
    assert cast.browser_for(cast.tess).get(f"/measures/administrations/{a.pk}/").status_code == 200


def test_the_front_desk_gets_a_receipt_without_the_score_from_the_api(cast: Cast):
    from touchstone.accounts.actions import do_create_token

    client = make_client(cast.harbour)
    answers = {f"phq9-{i}": 3 for i in range(1, 10)}
    body = {"instrument_id": "phq9", "answers": answers}
    replies = {}
    for member in (cast.fiona, cast.tess):
        token = do_create_token(actor_of(member), "t")[1]
        http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = http.post(
            f"/api/v1/clients/{client.pk}/administrations", body, content_type="application/json"
        )
        assert response.status_code == 201, response.content
        replies[member.role] = response.json()
    assert replies["therapist"]["total"] == 27 and replies["therapist"]["risk_flags"]
    front_desk = replies["front_desk"]
    assert front_desk["status"] == "completed"
    assert not {"total", "severity", "risk_flags", "answers", "reason"} & set(front_desk)


def test_a_link_stays_dead_when_an_archived_client_is_restored(cast: Cast):
    path, link = _send(cast, "phq9")
    alice = cast.browser_for(cast.alice)
    alice.post(f"/clients/{link.client_id}/archive/")
    link.refresh_from_db()
    assert link.revoked_at is not None
    alice.post(f"/clients/{link.client_id}/restore/")
    assert HttpClient().get(path).status_code == 404


def test_the_private_link_form_ticks_what_the_measurement_plan_makes_due(cast: Cast):
    # Issue 17 §4: the link form pre-selects the plan's due questionnaires.
    client = make_client(cast.harbour)
    make_episode(cast.harbour, client, plan_intake=["phq9", "gad7"], plan_periodic=[])
    answered(client, cast.tess, "phq9", [0] * 9)  # intake PHQ-9 done: only the GAD-7 is due
    page = cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/links/new/")
    assert page.context["form"]["instrument_ids"].value() == ["gad7"]
    html = page.content.decode()
    assert re.search(r'<input[^>]*value="gad7"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="phq9"[^>]*checked', html)


def test_a_question_left_blank_is_pointed_out_before_the_answers_are_sent(cast: Cast):
    # Trying a new clinic: PHQ-9 sent with question 3 blank finished at once, its total "not
    # computable", the administration wasted. Now the client is asked once, answers kept.
    path, link = _send(cast, "phq9")
    phone = HttpClient()
    pk = link.administrations.get().pk
    eight = {f"a{pk}-phq9-{i}": "1" for i in range(1, 10) if i != 3}
    page = phone.post(path, {**eight, "finish": "1"}).content.decode()
    assert "You have not answered 1 question." in page and "Not answered yet." in page
    assert page.count('class="question invalid"') == 1
    administration = Administration.objects.get()
    assert administration.status == "in_progress" and administration.answers["phq9-1"] == 1
    page = phone.post(path, {**eight, f"a{pk}-phq9-3": "2", "finish": "1"}).content.decode()
    assert "Thank you" in page
    administration.refresh_from_db()
    assert administration.status == "completed" and administration.total == 10


def test_the_client_may_send_their_answers_with_a_question_left_blank(cast: Cast):
    path, link = _send(cast, "phq9")
    pk = link.administrations.get().pk
    eight = {f"a{pk}-phq9-{i}": "0" for i in range(1, 9)}
    page = HttpClient().post(path, {**eight, "as_they_are": "1"}).content.decode()
    assert "Thank you" in page
    administration = Administration.objects.get()
    assert administration.status == "completed" and "phq9-9" not in administration.answers


def test_a_link_without_a_questionnaire_says_what_to_tick(cast: Cast):
    client = make_client(cast.harbour)
    page = (
        cast.browser_for(cast.tess)
        .post(f"/clients/{client.pk}/links/new/", {"valid_days": "3"})
        .content.decode()
    )
    assert "Tick at least one questionnaire to send." in page
    assert not PortalLink.objects.exists()
