"""The link-ready page (after "Send a private link"): the expiry in the clinic's time zone,
named; a way back that every role making links may open; and "Send this link to the client
by e-mail" (or text), queued by the client's channel, audited, the token never logged."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client as HttpClient

from touchstone.audit.models import AuditEvent
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.logs import Formatter
from touchstone.messaging.models import Message, OutboxText
from touchstone.portal.actions import do_revoke_portal_link
from touchstone.portal.models import PortalLink

NOON = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)  # Monday 12:00 in Chicago
LINK = re.compile(r"https://touchstone\.example(/p/[^/\s]+/)")


@pytest.fixture
def clinic(cast: Cast, settings: Any) -> Cast:
    settings.SITE_URL = "https://touchstone.example"
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    return cast


def _make_link(http: HttpClient, client: Client) -> tuple[str, PortalLink]:
    page = http.post(
        f"/clients/{client.pk}/links/new/", {"instrument_ids": ["phq9"], "valid_days": "3"}
    )
    assert page.status_code == 200
    return page.content.decode(), page.context["link"]


def _send_form(link: PortalLink) -> str:
    return f'<form method="post" action="/links/{link.pk}/send/">'


def test_the_expiry_is_in_the_clinics_time_zone_and_says_which(clinic: Cast):
    # The tryout's page said "It expires 2026-12-09 16:31": whose 16:31?
    dana = make_client(clinic.harbour)
    with time_machine.travel(NOON, tick=False):
        html, _link = _make_link(clinic.browser_for(clinic.tess), dana)
    # Three days after Monday noon in Chicago (18:00 UTC) is Thursday noon there.
    assert "It expires 2026-03-05 12:00 (America/Chicago) and works once." in html


def test_the_way_back_is_named_for_the_page_it_opens_and_the_front_desk_may_open_it(
    clinic: Cast,
):
    # "Back to progress" led the front desk, who send links but read no scores, to a 403.
    dana = make_client(clinic.harbour)
    desk = clinic.browser_for(clinic.fiona)
    html, _link = _make_link(desk, dana)
    assert f'<a href="/clients/{dana.pk}/">Back to Dana Example\'s overview</a>' in html
    assert "Back to progress" not in html
    assert desk.get(f"/clients/{dana.pk}/").status_code == 200
    # A progress link is made from the Measures tab, and leads back there.
    html = clinic.browser_for(clinic.tess).post(f"/clients/{dana.pk}/links/progress/")
    back = f'<a href="/clients/{dana.pk}/progress/">Back to Dana Example\'s measures</a>'
    assert back in html.content.decode()


def test_staff_send_the_link_by_e_mail_and_the_client_opens_it(
    clinic: Cast, caplog: pytest.LogCaptureFixture
):
    dana = make_client(clinic.harbour, email="dana@example.org")
    tess = clinic.browser_for(clinic.tess)
    with time_machine.travel(NOON, tick=False):
        with caplog.at_level(logging.DEBUG):
            html, link = _make_link(tess, dana)
            form = html[html.index(_send_form(link)) :]
            assert "csrfmiddlewaretoken" in form.partition("</form>")[0]
            assert "Send this link to the client by e-mail</button>" in form
            page = tess.post(f"/links/{link.pk}/send/", follow=True)
            assert page.redirect_chain[-1][0] == f"/clients/{dana.pk}/"
            assert "The link goes to Dana Example by e-mail." in page.content.decode()
            call_command("worker", "--once", verbosity=0)
        [sent] = mail.outbox
        assert sent.to == ["dana@example.org"] and "A few questions" in sent.subject
        for clinical in ("PHQ", "score", "depress", "anxi", "diagnos"):
            assert clinical not in sent.body
        [path] = LINK.findall(sent.body)
        assert path == f"/p/{link.token}/"
        assert 'name="a' in HttpClient().get(path).content.decode()  # the questionnaire
    queued = AuditEvent.objects.get(object_type="messaging.message", action="create")
    assert queued.actor == clinic.tess.user and queued.detail == "questionnaires by email"
    # The token is in the message, and nowhere in the audit log or the application's logs.
    assert not AuditEvent.objects.filter(detail__contains=link.token).exists()
    logged = "\n".join(Formatter().format(r) for r in caplog.records)
    assert "request_finished" in logged and link.token not in logged


def test_a_link_goes_once(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    tess = clinic.browser_for(clinic.tess)
    with time_machine.travel(NOON, tick=False):
        _html, link = _make_link(tess, dana)
        tess.post(f"/links/{link.pk}/send/")
        again = tess.post(f"/links/{link.pk}/send/", follow=True).content.decode()
    assert "This link was sent to Dana Example already." in again
    assert Message.objects.filter(key=f"link:{link.pk}").count() == 1


def test_by_text_message_for_a_client_who_prefers_them(clinic: Cast):
    sam = make_client(clinic.harbour, phone="(312) 555-0142", message_channel="sms")
    desk = clinic.browser_for(clinic.fiona)
    with time_machine.travel(NOON, tick=False):
        html, link = _make_link(desk, sam)
        assert "Send this link to the client by text message</button>" in html
        assert (
            "by text message" in desk.post(f"/links/{link.pk}/send/", follow=True).content.decode()
        )
        call_command("worker", "--once", verbosity=0)
    [text] = OutboxText.objects.all()
    assert text.to == "+13125550142" and LINK.search(text.body)


def test_after_the_quiet_hours_it_says_so(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    tess = clinic.browser_for(clinic.tess)
    with time_machine.travel(NOON.replace(hour=4), tick=False):  # 22:00 in Chicago
        _html, link = _make_link(tess, dana)
        page = tess.post(f"/links/{link.pk}/send/", follow=True).content.decode()
    assert "by e-mail (after the clinic&#x27;s quiet hours)." in page


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"email": "lee@example.org", "messages_opt_out": True}, "asked for no messages"),
        ({"email": ""}, "has no e-mail address"),
        ({"message_channel": "sms", "phone": ""}, "has no mobile number"),
    ],
)
def test_no_button_for_a_client_who_cannot_be_reached_and_a_post_is_refused(
    clinic: Cast, fields: dict[str, Any], says: str
):
    lee = make_client(clinic.harbour, **fields)
    tess = clinic.browser_for(clinic.tess)
    html, link = _make_link(tess, lee)
    assert _send_form(link) not in html and "Send this link to the client by" not in html
    page = tess.post(f"/links/{link.pk}/send/", follow=True).content.decode()
    assert says in page and not Message.objects.exists()
    refused = AuditEvent.objects.get(action="denied", object_type="clients.client")
    assert refused.object_id == str(lee.pk) and "questionnaire link not sent" in refused.detail


def test_a_progress_link_or_a_link_that_no_longer_works_is_not_sent(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    tess = clinic.browser_for(clinic.tess)
    html = tess.post(f"/clients/{dana.pk}/links/progress/").content.decode()
    progress = PortalLink.objects.get(purpose="progress")
    assert _send_form(progress) not in html
    page = tess.post(f"/links/{progress.pk}/send/", follow=True).content.decode()
    assert "Only questionnaire links are sent from here." in page
    _html, link = _make_link(tess, dana)
    do_revoke_portal_link(actor_of(clinic.tess), link)
    page = tess.post(f"/links/{link.pk}/send/", follow=True).content.decode()
    assert "This link no longer works" in page and not Message.objects.exists()


def test_only_the_care_team_of_the_clinic_sends_one(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    _html, link = _make_link(clinic.browser_for(clinic.tess), dana)
    url = f"/links/{link.pk}/send/"
    assert clinic.browser_for(clinic.charlie).post(url).status_code == 404
    assert clinic.browser_for(clinic.rita).post(url).status_code == 403
    assert clinic.browser_for(clinic.tess).get(url).status_code == 405
    assert not Message.objects.exists()
