"""Automatic measurement delivery (portal/delivery.py): the measurement plan's due
questionnaires and sleep diary go out as private links before a visit or on the plan's
schedule, through the worker and a real SMTP server, with time travel; one reminder; expiry;
channel preference and opt-out; the due list's sent / opened / completed; tenant isolation and
the audit trail."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.audit.actor import Actor
from touchstone.audit.models import AuditEvent
from touchstone.care.tests.factories import make_episode, make_visit
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.models import Administration, Mode, Status
from touchstone.messaging.models import Message, OutboxText
from touchstone.messaging.models import Status as MessageStatus
from touchstone.messaging.tests.smtp import Inbox, smtp_server
from touchstone.outcomes.summaries import questionnaires_due, refresh_client
from touchstone.portal.actions import do_revoke_portal_link
from touchstone.portal.delivery import do_deliver_measurements
from touchstone.portal.models import Delivery, PortalLink, Purpose, find_link
from touchstone.portal.selectors import client_deliveries, delivery_states
from touchstone.scheduling.tests.factories import make_appointment

# Monday 2 March 2026, 10:00 in Chicago (UTC-6 until the 8th); the visit is Thursday 14:00.
MONDAY = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
THURSDAY_2PM = dt.datetime(2026, 3, 5, 20, 0, tzinfo=dt.UTC)
LINK = re.compile(r"https://touchstone\.example(/p/[^/\s]+/)")
CLINICAL = ("PHQ", "GAD", "score", "depress", "anxi", "diagnos", "mood")


@pytest.fixture
def clinic(cast: Cast, settings: Any) -> Clinic:
    settings.SITE_URL = "https://touchstone.example"
    harbour = cast.harbour
    harbour.time_zone = "America/Chicago"
    harbour.delivery_enabled = True
    harbour.delivery_reminder_days = 1
    harbour.save(update_fields=["time_zone", "delivery_enabled", "delivery_reminder_days"])
    return harbour


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server(settings) as inbox:
        yield inbox


def _worker() -> None:
    call_command("worker", "--once", verbosity=0)


def _client_with_visit(cast: Cast, clinic: Clinic, **fields: Any) -> Any:
    """A client whose episode (from 16 February) asks PHQ-9 at intake and GAD-7 at each visit,
    with an appointment on Thursday at 14:00 (booked the week before)."""
    client = make_client(clinic, **fields)
    make_episode(
        clinic, client, started_on=dt.date(2026, 2, 16),
        plan_intake=["phq9"], plan_each_visit=["gad7"],
    )  # fmt: skip
    with time_machine.travel(MONDAY - dt.timedelta(days=7), tick=False):
        make_appointment(clinic, cast.tess, client, THURSDAY_2PM)
    return client


def _questions(inbox: Inbox, address: str) -> list[Any]:
    """The e-mails carrying questionnaire links (the appointment's own reminders aside)."""
    return [m for m in inbox.to(address) if "questions" in m["Subject"]]


def _answers(link: PortalLink) -> dict[str, str]:
    data = {"finish": "1"}
    for a in link.administrations.all():
        items = 9 if a.instrument_id == "phq9" else 7
        data.update({f"a{a.pk}-{a.instrument_id}-{i}": "0" for i in range(1, items + 1)})
    return data


def _due(cast: Cast, client: Any) -> dict[str, str]:
    """The due list of ``client`` as the clinician sees it: questionnaire -> link state."""
    listing = questionnaires_due(cast.bob, timezone.localdate(), client=client)
    return {d.instrument_id: (d.delivery.text if d.delivery else "") for d in listing.items}


def test_questionnaires_go_out_before_the_visit_and_are_no_longer_due_once_completed(
    cast: Cast, clinic: Clinic, smtp: Inbox
):
    dana = _client_with_visit(cast, clinic, email="dana@example.org")
    with time_machine.travel(MONDAY, tick=False) as traveller:
        _worker()
        assert smtp.received == [] and not Delivery.objects.exists()  # 76 hours ahead

        traveller.move_to(THURSDAY_2PM - dt.timedelta(hours=48))
        _worker()
        _worker()  # a second run sends nothing twice
        [mail] = _questions(smtp, "dana@example.org")
        body = mail.get_payload()
        assert "before your visit on Thursday, March 5" in body
        for clinical in CLINICAL:
            assert clinical.lower() not in (body + mail["Subject"]).lower()
        [path] = LINK.findall(body)
        delivery = Delivery.objects.get()
        assert sorted(delivery.items) == [f"gad7@appt{delivery.appointment_id}", "phq9@2026-02-16"]
        assert delivery.link.expires_at == THURSDAY_2PM  # it expires when the visit starts
        assert {a.instrument_id for a in delivery.link.administrations.all()} == {"phq9", "gad7"}
        with timezone.override(clinic.zone):
            assert _due(cast, dana) == {"phq9": "sent Mar 3"}

        phone = HttpClient()
        traveller.shift(dt.timedelta(hours=3))
        assert phone.get(path).status_code == 200
        with timezone.override(clinic.zone):
            assert _due(cast, dana) == {"phq9": "opened Mar 3"}
        opened = AuditEvent.objects.filter(object_type="portal.portallink", detail="opened").get()
        assert opened.channel == "portal"

        traveller.move_to(THURSDAY_2PM - dt.timedelta(hours=20))  # Wednesday evening
        page = phone.post(path, _answers(delivery.link))
        assert "Thank you" in page.content.decode()
        traveller.move_to(THURSDAY_2PM - dt.timedelta(hours=2))
        make_visit(clinic, dana, starts_at=THURSDAY_2PM, status="scheduled")
        with timezone.override(clinic.zone):
            # Intake done; the visit's GAD-7 was filled for it the evening before: nothing due.
            assert _due(cast, dana) == {}
        _worker()
    assert len(_questions(smtp, "dana@example.org")) == 1  # completed: no reminder
    assert Administration.objects.filter(client=dana, status=Status.COMPLETED).count() == 2


def test_one_reminder_by_the_clients_channel_then_the_link_expires(cast: Cast, clinic: Clinic):
    sam = _client_with_visit(
        cast, clinic, given_name="Sam", phone="(312) 555-0142", message_channel="sms"
    )
    with time_machine.travel(THURSDAY_2PM - dt.timedelta(hours=47), tick=False) as traveller:
        _worker()
        [text] = OutboxText.objects.filter(message__kind="questionnaires")
        assert text.to == "+13125550142" and LINK.search(text.body)
        traveller.shift(dt.timedelta(days=1))  # the clinic reminds after one day
        _worker()
        _worker()
        assert OutboxText.objects.exclude(message__kind="reminder").count() == 2
        reminder = Message.objects.get(kind="questionnaires_reminder")
        assert reminder.client == sam and reminder.status == MessageStatus.SENT
        # The reminder carries the same link (signed anew: the same link and nonce).
        token = LINK.search(text.body).group(1).split("/")[2]
        again = LINK.search(reminder.body).group(1).split("/")[2]
        assert find_link(again) == find_link(token) == Delivery.objects.get().link
        traveller.move_to(THURSDAY_2PM + dt.timedelta(minutes=10))
        _worker()
        delivery = Delivery.objects.get()
        assert delivery.expired_at is not None
        assert HttpClient().get(LINK.search(text.body).group(1)).status_code == 404
        traveller.shift(dt.timedelta(days=2))
        _worker()
    # Never reminded again, never resent.
    assert OutboxText.objects.exclude(message__kind="reminder").count() == 2
    states = delivery_states(cast.bob, [(delivery.episode_id, "phq9")])
    assert states[(delivery.episode_id, "phq9")].state == "expired"


def test_a_client_who_opted_out_gets_no_link_and_the_due_list_says_why(cast: Cast, clinic: Clinic):
    lee = _client_with_visit(cast, clinic, email="lee@example.org", messages_opt_out=True)
    with time_machine.travel(THURSDAY_2PM - dt.timedelta(hours=40), tick=False):
        _worker()
        _worker()
        delivery = Delivery.objects.get()
        assert delivery.link is None and delivery.skip_reason == "opted_out"
        assert not PortalLink.objects.filter(client=lee).exists()
        assert Message.objects.get(kind="questionnaires").status == MessageStatus.SKIPPED
        with timezone.override(clinic.zone):
            assert _due(cast, lee) == {"phq9": "not sent (the client asked for no messages)"}
        page = cast.browser_for(cast.bob).get(f"/clients/{lee.pk}/").content.decode()
        assert "the client asked for no messages" in page


def test_periodic_questionnaires_and_the_sleep_diary_go_out_on_the_plans_schedule(
    cast: Cast, clinic: Clinic
):
    kim = make_client(clinic, given_name="Kim", email="kim@example.org")
    episode = make_episode(
        clinic, kim, started_on=dt.date(2026, 2, 2), plan_periodic=["phq9"],
        plan_every_weeks=2, plan_sleep_diary=True,
    )  # fmt: skip
    with time_machine.travel(dt.datetime(2026, 2, 16, 16, 0, tzinfo=dt.UTC), tick=False):
        Administration.objects.create(
            clinic=clinic, client=kim, instrument_id="phq9", instrument_version="1",
            mode=Mode.CLINIC, status=Status.COMPLETED, completed_at=timezone.now(),
        )  # fmt: skip
    refresh_client(clinic, kim.pk)
    with time_machine.travel(MONDAY - dt.timedelta(days=1), tick=False):
        _worker()  # Sunday: PHQ-9 is due on Monday (two weeks after the 16th)
        assert [d.purpose for d in Delivery.objects.all()] == [Purpose.SLEEP_DIARY]
    with time_machine.travel(MONDAY, tick=False) as traveller:
        _worker()
        questionnaires = Delivery.objects.get(purpose=Purpose.QUESTIONNAIRES)
        assert questionnaires.items == ["phq9@2026-03-02"] and questionnaires.appointment is None
        assert questionnaires.link.expires_at == MONDAY + dt.timedelta(days=7)
        kinds = sorted(Message.objects.filter(client=kim).values_list("kind", flat=True))
        # Monday also starts the diary's next 7-day period (from 2 February): a new link.
        assert kinds == ["questionnaires", "sleep_diary", "sleep_diary"]
        traveller.shift(dt.timedelta(days=6))  # Sunday the 8th: still the period of the 2nd
        _worker()
        _worker()
    diaries = Delivery.objects.filter(episode=episode, purpose=Purpose.SLEEP_DIARY)
    assert sorted(d.items[0] for d in diaries) == ["diary@2026-02-23", "diary@2026-03-02"]


def test_nothing_is_sent_while_the_clinic_has_it_off_nor_for_old_overdue_intake(
    cast: Cast, clinic: Clinic
):
    make_episode(clinic, make_client(clinic, email="a@example.org"), plan_intake=["phq9"],
                 started_on=dt.date(2026, 2, 25))  # fmt: skip
    make_episode(clinic, make_client(clinic, email="b@example.org"), plan_intake=["phq9"],
                 started_on=dt.date(2026, 1, 5))  # fmt: skip
    clinic.delivery_enabled = False
    clinic.save(update_fields=["delivery_enabled"])
    with time_machine.travel(MONDAY, tick=False):
        assert do_deliver_measurements(_job(clinic), clinic)["sent"] == 0
        clinic.delivery_enabled = True
        clinic.save(update_fields=["delivery_enabled"])
        assert do_deliver_measurements(_job(clinic), clinic)["sent"] == 1  # 5 days: sent
    assert Delivery.objects.get().client.email == "a@example.org"  # 8 weeks overdue: staff's


def test_another_clinic_neither_sends_nor_sees_the_deliveries(cast: Cast, clinic: Clinic):
    _client_with_visit(cast, clinic, email="dana@example.org")
    elsewhere = make_client(cast.northside, email="eve@example.org")
    make_episode(cast.northside, elsewhere, plan_intake=["phq9"], started_on=dt.date(2026, 3, 3))
    with time_machine.travel(THURSDAY_2PM - dt.timedelta(hours=40), tick=False):
        _worker()
        delivery = Delivery.objects.get()  # northside has delivery off
        assert delivery.clinic == clinic
        assert delivery_states(cast.charlie, [(delivery.episode_id, "phq9")]) == {}
        outsider = cast.browser_for(cast.charlie)
        assert outsider.get(f"/clients/{delivery.client_id}/").status_code == 404
        event = AuditEvent.objects.get(object_type="portal.delivery")
        assert event.channel == "job" and event.clinic_id == clinic.pk
        assert event.object_id == str(delivery.pk)


def test_the_owner_sets_lead_time_reminder_days_and_turns_it_on(cast: Cast):
    owner = cast.browser_for(cast.alice)
    page = owner.get("/accounts/clinic/").content.decode()
    assert "Send due questionnaires automatically" in page
    form = {
        "name": "Harbour Massage", "time_zone": "UTC", "crisis_line": "988",
        "emergency_number": "911", "delivery_enabled": "on", "delivery_lead_hours": "72",
        "delivery_reminder_days": "2", "delivery_valid_days": "10",
    }  # fmt: skip
    assert owner.post("/accounts/clinic/", form).status_code == 302
    cast.harbour.refresh_from_db()
    assert cast.harbour.delivery_enabled and cast.harbour.delivery_lead_hours == 72
    assert (cast.harbour.delivery_reminder_days, cast.harbour.delivery_valid_days) == (2, 10)
    bad = owner.post("/accounts/clinic/", {**form, "delivery_valid_days": "30"})
    assert bad.status_code == 200 and "less than or equal to 14" in bad.content.decode()


def _job(clinic: Clinic) -> Actor:
    return Actor.system("job", clinic)


def test_a_diary_link_is_completed_by_its_first_night_and_reminded_only_if_unused(
    cast: Cast, clinic: Clinic
):
    """The plan's sleep diary is reminded like questionnaires, and counts as completed on the
    client's deliveries once the client submits a night through the link (which keeps
    working for the period's other nights)."""
    kim = make_client(clinic, given_name="Kim", email="kim@example.org")
    ash = make_client(clinic, given_name="Ash", email="ash@example.org")
    for client in (kim, ash):
        make_episode(clinic, client, started_on=dt.date(2026, 3, 2), plan_sleep_diary=True)
    with time_machine.travel(MONDAY, tick=False) as traveller:
        _worker()
        assert Message.objects.filter(kind="sleep_diary").count() == 2
        link = Delivery.objects.get(client=kim).link
        night = {
            "night_of": "2026-03-01", "in_bed": "23:00", "tried_sleep": "23:15",
            "sol_min": "20", "awakenings": "2", "waso_min": "30", "final_wake": "06:30",
            "out_of_bed": "07:00", "quality": "4",
        }  # fmt: skip
        diary = HttpClient()
        assert "is saved" in diary.post(f"/physiology/diary/{link.token}/", night).content.decode()
        traveller.shift(dt.timedelta(days=1))  # the clinic reminds after one day
        _worker()
        _worker()
        reminded = Message.objects.filter(kind="sleep_diary_reminder")
        assert [m.client for m in reminded] == [ash]  # Kim already keeps it
        assert "sleep diary" in reminded.get().body and not any(
            word in reminded.get().body for word in CLINICAL
        )
        night["night_of"] = "2026-03-02"  # the same link takes the next night
        assert "is saved" in diary.post(f"/physiology/diary/{link.token}/", night).content.decode()
        states = {
            s.delivery.client_id: s.state
            for s in client_deliveries(cast.bob, kim) + client_deliveries(cast.bob, ash)
        }
        assert states == {kim.pk: "completed", ash.pk: "sent"}
        traveller.shift(dt.timedelta(days=7))  # the period is over
        _worker()
    first = Delivery.objects.filter(client=kim).order_by("pk").first()
    assert first is not None and first.expired_at is None  # completed, not "expired unfilled"


def test_a_delivery_held_by_the_quiet_hours_never_carries_a_dead_link(cast: Cast, clinic: Clinic):
    # The tryout's gap, for the plan's own messages: the link revoked (or expired) while its
    # message waited for 08:00 went out at 08:00 anyway.
    dana = _client_with_visit(cast, clinic, email="dana@example.org")
    lee = make_client(clinic, given_name="Lee", email="lee@example.org")
    make_episode(clinic, lee, started_on=dt.date(2026, 2, 16), plan_each_visit=["gad7"])
    with time_machine.travel(MONDAY - dt.timedelta(days=7), tick=False):
        make_appointment(clinic, cast.bob, lee, THURSDAY_2PM)  # Tess sees Dana then
    tuesday_10pm = THURSDAY_2PM - dt.timedelta(hours=40)  # 22:00 in Chicago: quiet hours
    with time_machine.travel(tuesday_10pm, tick=False) as traveller:
        _worker()
        held = {d.client_id: d for d in Delivery.objects.select_related("link")}
        messages = Message.objects.filter(key__in=[d.message_key for d in held.values()])
        assert {m.status for m in messages} == {MessageStatus.QUEUED}
        do_revoke_portal_link(actor_of(cast.tess), held[dana.pk].link)
        lees = held[lee.pk].link
        lees.expires_at = tuesday_10pm + dt.timedelta(hours=1)  # as if it had been short
        lees.save(update_fields=["expires_at"])
        traveller.move_to(tuesday_10pm + dt.timedelta(hours=10, minutes=5))  # 08:05
        _worker()
    for message in Message.objects.filter(kind="questionnaires"):
        assert (message.status, message.skip_reason) == (MessageStatus.SKIPPED, "link_gone")
    assert not [m for m in mail.outbox if "questions" in m.subject]
