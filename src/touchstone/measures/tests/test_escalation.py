"""Risk alerts reach a clinician: notified at once, escalated when nobody acknowledges, to
a real SMTP server, through the worker, with time travel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from touchstone.accounts.roles import Role
from touchstone.audit.actor import Actor
from touchstone.conftest import Cast, actor_of, make_client, make_member
from touchstone.measures.actions import do_acknowledge_alert, do_close_alert, do_take_alert
from touchstone.measures.escalation import do_escalate_alerts
from touchstone.measures.models import RiskAlert
from touchstone.measures.tests.factories import answered
from touchstone.messaging.actions import do_set_on_call
from touchstone.messaging.models import Message, OutboxText
from touchstone.messaging.tests.smtp import Inbox, smtp_server

NINE_PM = dt.datetime(2026, 3, 2, 21, 0, tzinfo=dt.UTC)
ANSWERS = [1, 1, 1, 0, 0, 0, 0, 0, 2]  # item 9 answered "more than half the days"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server(settings) as inbox:
        yield inbox


@pytest.fixture
def on_call(cast: Cast) -> list[Any]:
    second = make_member(cast.harbour, "dara", Role.CLINICIAN)
    do_set_on_call(actor_of(cast.alice), [(cast.bob, "312 555 0142"), (second, "")])
    return [cast.bob, second]


def _worker() -> None:
    call_command("worker", "--once", verbosity=0)


def _raise(cast: Cast) -> RiskAlert:
    client = make_client(cast.harbour)
    answered(client, cast.tess, "phq9", ANSWERS, at=timezone.now())  # the travelled "now"
    return RiskAlert.objects.get(client=client)


def test_the_whole_chain_reaches_a_clinician_then_escalates_to_the_next_and_the_owner(
    cast: Cast, smtp: Inbox, on_call: list[Any]
):
    dara = on_call[1]
    with time_machine.travel(NINE_PM, tick=False) as traveller:
        alert = _raise(cast)
        _worker()
        [notice] = smtp.to("bob@example.org")
        body = notice.get_payload()
        assert f"https://touchstone.example/measures/alerts/{alert.pk}/" in body
        assert "risk alert" in notice["Subject"]
        assert "2" not in body.replace(str(alert.pk), "")  # no answer value, no score
        [text] = OutboxText.objects.all()  # bob's text, at 9 pm: staff alerts are never held
        assert text.to == "+13125550142" and "/measures/alerts/" in text.body
        assert smtp.to("dara@example.org") == smtp.to("alice@example.org") == []

        traveller.shift(dt.timedelta(minutes=29))
        _worker()
        assert smtp.to("dara@example.org") == []
        traveller.shift(dt.timedelta(minutes=1))
        _worker()
        assert len(smtp.to("dara@example.org")) == 1
        [owner] = smtp.to("alice@example.org")
        told = owner.get_payload()
        assert "not been acknowledged for 30 minutes" in told
        # The owner may not open the alert: their notice sends them where they can act.
        assert f"/measures/alerts/{alert.pk}/" not in told and "/staff/invite/" not in told
        assert "https://touchstone.example/measures/alerts/" in told.splitlines()
        assert "Make sure one of your clinicians takes it now" in told
        alert.refresh_from_db()
        assert alert.escalation_level == 1

        do_acknowledge_alert(actor_of(dara), alert)
        traveller.shift(dt.timedelta(hours=2))
        _worker()
    assert len(smtp.received) == 3  # bob, dara, alice: nothing after the acknowledgement
    assert len(smtp.to("bob@example.org")) == 1  # and nothing twice
    alert.refresh_from_db()
    assert alert.is_open and alert.acknowledged_by == dara  # acknowledged, not yet handled
    do_close_alert(actor_of(dara), alert, "Called the client; safety plan in place.")
    alert.refresh_from_db()
    assert not alert.is_open and alert.closed_by == dara


def test_without_an_on_call_list_every_licensed_clinician_is_told(cast: Cast, smtp: Inbox):
    with time_machine.travel(NINE_PM, tick=False):
        _raise(cast)
        _worker()
    assert len(smtp.to("bob@example.org")) == 1
    assert smtp.to("tess@example.org") == smtp.to("fiona@example.org") == []
    assert smtp.to("alice@example.org") == []


def test_a_clinic_without_a_clinician_tells_its_owner_at_once(cast: Cast, smtp: Inbox):
    cast.bob.role = Role.THERAPIST  # harbour's only licensed clinician
    cast.bob.save(update_fields=["role"])
    with time_machine.travel(NINE_PM, tick=False):
        alert = _raise(cast)
        _worker()
    [notice] = smtp.to("alice@example.org")
    told = notice.get_payload()
    assert "crisis procedure" in told and "Invite a licensed clinician" in told
    assert f"/measures/alerts/{alert.pk}/" not in told  # the alert page is a clinician's
    links = [line for line in told.splitlines() if line.startswith("https://touchstone.example")]
    assert links == [
        "https://touchstone.example/measures/alerts/",
        "https://touchstone.example/accounts/staff/invite/?role=clinician",
    ]
    http = cast.browser_for(cast.alice)  # the owner opens both, and the invitation asks for
    assert http.get("/measures/alerts/").status_code == 200  # a clinician
    invite = http.get("/accounts/staff/invite/?role=clinician").content.decode()
    assert 'value="clinician" selected' in invite


def test_a_clinician_who_has_not_accepted_the_invitation_is_not_the_only_one_told(
    cast: Cast, smtp: Inbox
):
    # Bob's login has no password yet (invited, link not followed): he cannot sign in to take
    # the alert, so the owner is told at once, as in a clinic with no clinician.
    cast.bob.user.set_unusable_password()
    cast.bob.user.save(update_fields=["password"])
    with time_machine.travel(NINE_PM, tick=False):
        _raise(cast)
        _worker()
    assert len(smtp.to("alice@example.org")) == 1
    assert smtp.to("bob@example.org") == []


def test_taking_an_alert_acknowledges_it(cast: Cast, smtp: Inbox, on_call: list[Any]):
    with time_machine.travel(NINE_PM, tick=False) as traveller:
        alert = _raise(cast)
        do_take_alert(actor_of(cast.bob), alert)
        traveller.shift(dt.timedelta(hours=1))
        _worker()
    alert.refresh_from_db()
    assert alert.acknowledged_by == cast.bob and alert.escalation_level == 0
    assert smtp.to("alice@example.org") == []


def test_escalation_stops_at_the_end_of_the_list(cast: Cast, on_call: list[Any]):
    with time_machine.travel(NINE_PM, tick=False) as traveller:
        alert = _raise(cast)
        for _ in range(5):
            traveller.shift(dt.timedelta(minutes=30))
            do_escalate_alerts(Actor.system("job", cast.harbour), cast.harbour)
    alert.refresh_from_db()
    assert alert.escalation_level == 1  # two on the list: dara and the owner were the last
    keys = set(Message.objects.values_list("key", flat=True))
    assert len(keys) == Message.objects.count()


def test_the_owner_manages_the_on_call_list(cast: Cast):
    http = cast.browser_for(cast.alice)
    page = http.post("/messages/on-call/", {"member_0": str(cast.bob.pk), "phone_0": "not a phone"})
    assert "not a phone number" in page.content.decode()
    http.post("/messages/on-call/", {"member_0": str(cast.bob.pk), "phone_0": "312 555 0142"})
    cast.bob.refresh_from_db()
    assert cast.bob.phone == "312 555 0142"
    refused = http.post("/messages/on-call/", {"member_0": str(cast.tess.pk)})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert cast.browser_for(cast.bob).get("/messages/on-call/").status_code == 403
