"""A link e-mail held by the clinic's quiet hours never goes out for a link that no longer
works (the tryout: the client answered through the copied link before 08:00, and at 08:00
the e-mail went out anyway with a link that opened "This link is not available"). Using
up, revoking or archiving voids the link's queued messages; the send job, as a last guard,
sends none whose link expired meanwhile; the client page says "to be sent" while held."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client as HttpClient

from touchstone.clients.actions import do_archive_client
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.logs import Formatter
from touchstone.messaging.actions import do_send_due_messages
from touchstone.messaging.models import Message
from touchstone.portal.actions import do_create_portal_link
from touchstone.portal.delivery import link_url
from touchstone.portal.models import PortalLink
from touchstone.portal.sending import do_send_booking_link, do_send_portal_link
from touchstone.scheduling.models import policy_for

NIGHT = dt.datetime(2026, 3, 3, 4, 0, tzinfo=dt.UTC)  # Monday 22:00 in Chicago: quiet hours
MORNING = dt.datetime(2026, 3, 3, 14, 5, tzinfo=dt.UTC)  # Tuesday 08:05 there


@pytest.fixture
def clinic(cast: Cast, settings: Any) -> Cast:
    settings.SITE_URL = "https://touchstone.example"
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    return cast


def _held_link(cast: Cast, dana: Client, hours: int = 72) -> tuple[PortalLink, Message]:
    """A questionnaire link made and sent at night: its e-mail is held till the morning."""
    tess = actor_of(cast.tess)
    link = do_create_portal_link(
        tess, dana, "questionnaires", ["gad2"], NIGHT + dt.timedelta(hours=hours)
    )
    message = do_send_portal_link(tess, link)
    assert message.status == "queued" and message.send_after > NIGHT
    return link, message


def _answer(link: PortalLink) -> None:
    pk = link.administrations.get().pk
    path = link_url(link).removeprefix("https://touchstone.example")
    answers = {f"a{pk}-gad2-1": "1", f"a{pk}-gad2-2": "0", "finish": "1"}
    assert "Thank you" in HttpClient().post(path, answers).content.decode()


def _morning_send() -> None:
    with time_machine.travel(MORNING, tick=False):
        call_command("worker", "--once", verbosity=0)


def test_a_link_answered_before_the_morning_is_not_mailed_at_the_morning(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    with time_machine.travel(NIGHT, tick=False):
        link, message = _held_link(clinic, dana)
        _answer(link)  # through the link staff copied
    message.refresh_from_db()
    assert (message.status, message.skip_reason) == ("skipped", "link_gone")
    _morning_send()
    assert mail.outbox == []


def test_revoking_a_link_voids_its_held_message(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    with time_machine.travel(NIGHT, tick=False):
        link, message = _held_link(clinic, dana)
        tess = clinic.browser_for(clinic.tess)
        tess.post(f"/links/{link.pk}/revoke/")
    message.refresh_from_db()
    assert (message.status, message.skip_reason) == ("skipped", "link_gone")
    assert "its private link no longer works" in message.skip_reason_text
    _morning_send()
    assert mail.outbox == []


def test_archiving_the_client_voids_the_held_message(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    with time_machine.travel(NIGHT, tick=False):
        _link, message = _held_link(clinic, dana)
        do_archive_client(actor_of(clinic.alice), dana)
    message.refresh_from_db()
    assert (message.status, message.skip_reason) == ("skipped", "link_gone")


def test_a_held_booking_link_is_voided_when_revoked(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    policy = policy_for(clinic.harbour)
    policy.online_booking = True
    policy.save()
    with time_machine.travel(NIGHT, tick=False):
        message = do_send_booking_link(actor_of(clinic.tess), dana)
        link = PortalLink.objects.get(purpose="booking")
        clinic.browser_for(clinic.tess).post(f"/links/{link.pk}/revoke/")
    message.refresh_from_db()
    assert (message.status, message.skip_reason) == ("skipped", "link_gone")


def test_the_send_job_does_not_send_a_link_that_expired_while_held(
    clinic: Cast, caplog: pytest.LogCaptureFixture
):
    # Nothing happens when a link expires: the send job itself checks before sending.
    dana = make_client(clinic.harbour, email="dana@example.org")
    with time_machine.travel(NIGHT, tick=False):
        link, message = _held_link(clinic, dana, hours=2)  # expires at midnight in Chicago
        _held_link(clinic, make_client(clinic.harbour, email="lee@example.org"))
    with time_machine.travel(MORNING, tick=False), caplog.at_level(logging.DEBUG):
        assert do_send_due_messages(clinic.harbour) == {"sent": 1, "failed": 0, "not_sent": 1}
    message.refresh_from_db()
    assert (message.status, message.skip_reason, message.sent_at) == ("skipped", "link_gone", None)
    [sent] = mail.outbox
    assert sent.to == ["lee@example.org"]
    logged = "\n".join(Formatter().format(r) for r in caplog.records)
    assert "message_not_sent" in logged and link.token not in logged


def test_the_client_page_says_to_be_sent_while_the_message_is_held(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    tess = clinic.browser_for(clinic.tess)
    with time_machine.travel(NIGHT, tick=False):
        _held_link(clinic, dana)
        html = tess.get(f"/clients/{dana.pk}/").content.decode()
    # Held till 08:00 in Chicago, the clinic's time; not "sent" at 22:00.
    assert "Questionnaires to fill, to be sent 2026-03-03 08:00 (after the quiet hours)" in html
    assert "sent 2026-03-02 22:00" not in html
    with time_machine.travel(MORNING, tick=False):
        call_command("worker", "--once", verbosity=0)
        html = tess.get(f"/clients/{dana.pk}/").content.decode()
    assert "Questionnaires to fill, sent 2026-03-02 22:00" in html
