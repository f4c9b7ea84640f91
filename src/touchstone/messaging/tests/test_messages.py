"""Messages to clients: channel preference, opt-out, quiet hours, idempotence, retries."""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from touchstone.accounts.models import Clinic
from touchstone.audit.actor import Actor
from touchstone.clients.models import Client
from touchstone.conftest import Cast, make_client
from touchstone.messaging.actions import MAX_ATTEMPTS, do_queue_client_message
from touchstone.messaging.models import Message, OutboxText, Status

CHICAGO = "America/Chicago"
# 10:00 in Chicago (UTC-6 in March before the DST change on the 8th).
MORNING = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
LINK = {"link": "https://touchstone.example/p/abc", "expires_at": MORNING, "visit_at": None}


@pytest.fixture
def clinic(cast: Cast) -> Clinic:
    cast.harbour.time_zone = CHICAGO
    cast.harbour.save(update_fields=["time_zone"])
    return cast.harbour


def _queue(client: Client, key: str = "q:1") -> Message:
    return do_queue_client_message(
        Actor.system("job", client.clinic), client, key=key, kind="questionnaires", context=LINK
    )


def _worker() -> None:
    call_command("worker", "--once", verbosity=0)


def test_it_sends_by_email_with_a_link_and_no_clinical_content(clinic: Clinic):
    client = make_client(clinic, email="dana@example.org")
    with time_machine.travel(MORNING, tick=False):
        _queue(client)
        _worker()
    [email] = mail.outbox
    assert email.to == ["dana@example.org"]
    assert "https://touchstone.example/p/abc" in email.body
    assert "Harbour Massage" in email.subject
    for clinical in ("PHQ", "score", "depress", "anxi", "diagnos"):
        assert clinical not in email.body + email.subject
    message = Message.objects.get()
    assert message.status == Status.SENT and message.sent_at == MORNING


def test_it_texts_a_client_who_prefers_sms_in_e164(clinic: Clinic, settings: Any):
    settings.SMS_BACKEND = "outbox"
    client = make_client(clinic, phone="(312) 555-0142", message_channel="sms")
    with time_machine.travel(MORNING, tick=False):
        _queue(client)
        _worker()
    assert mail.outbox == []
    [text] = OutboxText.objects.all()
    assert text.to == "+13125550142" and "https://touchstone.example/p/abc" in text.body
    assert Message.objects.get().status == Status.SENT


def test_it_honours_the_opt_out(clinic: Clinic):
    client = make_client(clinic, email="dana@example.org", messages_opt_out=True)
    with time_machine.travel(MORNING, tick=False):
        message = _queue(client)
        _worker()
    assert mail.outbox == []
    assert message.status == Status.SKIPPED and message.skip_reason == "opted_out"


@pytest.mark.parametrize(
    ("withdrawal", "reason"),
    [({"messages_opt_out": True}, "opted_out"), ({"archived_at": MORNING}, "archived")],
)
def test_a_held_message_does_not_go_to_a_client_who_withdrew_meanwhile(
    clinic: Clinic, withdrawal: dict[str, Any], reason: str
):
    # Queued at 22:30, held by the quiet hours until 08:00; at 23:00 the client asks for no
    # more messages (or is archived): at 08:00 nothing may reach them.
    client = make_client(clinic, email="dana@example.org")
    other = make_client(clinic, given_name="Eli", email="eli@example.org")
    late = dt.datetime(2026, 3, 2, 22, 30, tzinfo=clinic.zone)
    with time_machine.travel(late, tick=False) as traveller:
        message, still = _queue(client), _queue(other, key="q:2")
        Client.objects.filter(pk=client.pk).update(**withdrawal)
        traveller.move_to(dt.datetime(2026, 3, 3, 8, 0, tzinfo=clinic.zone))
        _worker()
    assert [email.to for email in mail.outbox] == [["eli@example.org"]]
    message.refresh_from_db()
    still.refresh_from_db()
    assert message.status == Status.SKIPPED and message.skip_reason == reason
    assert still.status == Status.SENT


def test_it_records_a_client_without_an_address_as_not_sent(clinic: Clinic):
    message = _queue(make_client(clinic))
    assert message.status == Status.SKIPPED and message.skip_reason == "no_email"


def test_it_holds_a_message_until_the_quiet_hours_end(clinic: Clinic):
    client = make_client(clinic, email="dana@example.org")
    late = dt.datetime(2026, 3, 2, 22, 30, tzinfo=clinic.zone)
    with time_machine.travel(late, tick=False) as traveller:
        message = _queue(client)
        assert message.send_after == dt.datetime(2026, 3, 3, 8, 0, tzinfo=clinic.zone)
        _worker()
        assert mail.outbox == []
        traveller.move_to(dt.datetime(2026, 3, 3, 7, 59, tzinfo=clinic.zone))
        _worker()
        assert mail.outbox == []
        traveller.move_to(dt.datetime(2026, 3, 3, 8, 0, tzinfo=clinic.zone))
        _worker()
    assert len(mail.outbox) == 1


def test_a_key_queues_one_message_however_often_the_job_runs(clinic: Clinic):
    client = make_client(clinic, email="dana@example.org")
    with time_machine.travel(MORNING, tick=False) as traveller:
        first = _queue(client)
        _worker()
        assert _queue(client).pk == first.pk
        traveller.shift(dt.timedelta(minutes=2))
        _worker()
    assert Message.objects.count() == 1 and len(mail.outbox) == 1


class _RefusingBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> _RefusingBackend:
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("gone")


def test_a_failed_send_is_retried_with_back_off_then_marked_failed(clinic: Clinic, settings: Any):
    settings.EMAIL_BACKEND = f"{__name__}._RefusingBackend"
    client = make_client(clinic, email="dana@example.org")
    with time_machine.travel(MORNING, tick=False) as traveller:
        message = _queue(client)
        _worker()
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.QUEUED, 1)
        assert message.last_error == "SMTPServerDisconnected"
        assert message.send_after == MORNING + dt.timedelta(minutes=5)
        for _ in range(MAX_ATTEMPTS - 1):
            traveller.move_to(message.send_after)
            _worker()
            message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, MAX_ATTEMPTS)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _worker()
    assert mail.outbox == []  # a failed message stays failed


def test_the_file_backend_puts_due_messages_in_email_file_path(
    clinic: Clinic, settings: Any, tmp_path: Path
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    client = make_client(clinic, email="dana@example.org")
    with time_machine.travel(MORNING, tick=False):
        _queue(client)
        _worker()
    [written] = list(tmp_path.iterdir())
    assert "https://touchstone.example/p/abc" in written.read_text()


class _Provider(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        type(self).received.append({**body, "auth": self.headers.get("Authorization")})
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "SM123"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider(settings: Any) -> Iterator[type[_Provider]]:
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Provider.received, _Provider.status = [], 200
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/messages"
    settings.SMS_HTTP_TOKEN = "provider-token"
    settings.SMS_FROM = "+13125550100"
    yield _Provider
    server.shutdown()


def test_the_http_sms_backend_posts_to_the_provider(clinic: Clinic, provider: Any):
    client = make_client(clinic, phone="312 555 0142", message_channel="sms")
    with time_machine.travel(MORNING, tick=False):
        _queue(client)
        _worker()
    [posted] = provider.received
    assert posted["to"] == "+13125550142" and posted["from"] == "+13125550100"
    assert posted["auth"] == "Bearer provider-token"
    message = Message.objects.get()
    assert message.status == Status.SENT and message.provider_id == "SM123"
    assert not OutboxText.objects.exists()


def test_a_provider_refusal_is_retried(clinic: Clinic, provider: Any):
    provider.status = 503
    client = make_client(clinic, phone="312 555 0142", message_channel="sms")
    with time_machine.travel(MORNING, tick=False):
        message = _queue(client)
        _worker()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("queued", 1, "SmsError")


def test_a_text_preference_needs_a_reachable_phone(clinic: Clinic):
    client = make_client(clinic)
    client.message_channel = "sms"
    with pytest.raises(ValidationError, match="need a phone"):
        client.full_clean()
    client.phone = "(112) 555-0142"
    with pytest.raises(ValidationError, match="not a phone number"):
        client.full_clean()
    client.messages_opt_out = True
    client.full_clean()  # no messages at all: nothing to reach


def test_quiet_hours_span_midnight_in_the_clinics_zone(clinic: Clinic):
    zone = clinic.zone
    assert clinic.in_quiet_hours(dt.datetime(2026, 3, 2, 21, 0, tzinfo=zone))
    assert clinic.in_quiet_hours(dt.datetime(2026, 3, 3, 7, 59, tzinfo=zone))
    assert not clinic.in_quiet_hours(dt.datetime(2026, 3, 3, 8, 0, tzinfo=zone))
    # 02:30 UTC is 20:30 the day before in Chicago: not quiet.
    assert not clinic.in_quiet_hours(dt.datetime(2026, 3, 3, 2, 30, tzinfo=dt.UTC))
    # Across the spring-forward night the end is still 08:00 local.
    night = dt.datetime(2026, 3, 7, 23, 0, tzinfo=zone)
    assert clinic.after_quiet_hours(night) == dt.datetime(2026, 3, 8, 8, 0, tzinfo=zone)


def test_the_text_is_plain_text_not_html_escaped(clinic: Clinic):
    clinic.name = "Massage & Wellbeing <Harbour>"
    clinic.save(update_fields=["name"])
    client = make_client(clinic, email="dana@example.org")
    with time_machine.travel(MORNING, tick=False):
        _queue(client)
        _worker()
    [email] = mail.outbox
    assert "Massage & Wellbeing <Harbour>" in email.subject
    assert "Massage & Wellbeing <Harbour>" in email.body and "&amp;" not in email.body
