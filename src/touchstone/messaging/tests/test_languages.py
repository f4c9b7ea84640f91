"""What is sent to a client is written in the client's language (docs/languages.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from touchstone.conftest import Cast, actor_of, make_client
from touchstone.messaging.actions import do_queue_client_message, do_queue_client_messages
from touchstone.messaging.models import Kind, Message
from touchstone.tests.languages import prefer

# A Wednesday, 10:30 in Chicago.
STARTS_AT = dt.datetime(2026, 3, 4, 16, 30, tzinfo=dt.UTC)
CONTEXT = {
    "starts_at": STARTS_AT,
    "confirm_url": "https://t.example/c/1",
    "cancel_url": "https://t.example/x/1",
}


@pytest.fixture
def chicago(cast: Cast) -> Cast:
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    return cast


def test_it_writes_a_spanish_clients_reminder_in_spanish(chicago: Cast, monkeypatch):
    client = prefer(monkeypatch, make_client(chicago.harbour, email="d@example.org"), "es")
    message = do_queue_client_message(
        actor_of(chicago.tess), client, key="r-1", kind=Kind.REMINDER, context=CONTEXT
    )
    assert message.subject == "Recordatorio: su cita en Harbour Massage"
    assert "Hola:" in message.body
    assert "su cita en Harbour Massage el miércoles 4 de marzo a las 10:30 AM." in message.body
    assert "Confirmar: https://t.example/c/1" in message.body


def test_the_batch_of_reminders_writes_each_client_in_their_own_language(
    chicago: Cast, monkeypatch
):
    spanish = prefer(monkeypatch, make_client(chicago.harbour, email="a@example.org"), "es")
    english = prefer(monkeypatch, make_client(chicago.harbour, email="b@example.org"), "en")
    queued = do_queue_client_messages(
        actor_of(chicago.tess),
        chicago.harbour,
        Kind.REMINDER,
        [(spanish, "r-es", CONTEXT), (english, "r-en", CONTEXT)],
    )
    assert queued == 2
    by_client = {m.client_id: m for m in Message.objects.filter(clinic=chicago.harbour)}
    assert by_client[spanish.pk].subject.startswith("Recordatorio: su cita")
    assert by_client[english.pk].subject == "Reminder: your appointment at Harbour Massage"
    assert "on Wednesday, March 4 at 10:30 AM." in by_client[english.pk].body


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_questionnaire_links_subject_names_a_visit_only_when_one_is_booked(
    chicago: Cast, monkeypatch, language: str
):
    # Tryout 2 (F): a link sent from the link-ready page, no visit booked, was headed
    # "A few questions before your next visit".
    client = prefer(monkeypatch, make_client(chicago.harbour, email="d@example.org"), language)
    link = {"link": "https://t.example/p/1/", "expires_at": STARTS_AT + dt.timedelta(days=7)}
    subjects = [
        do_queue_client_message(
            actor_of(chicago.tess), client, key=key, kind=Kind.QUESTIONNAIRES, context=context
        ).subject
        for key, context in (("q-1", link), ("q-2", {**link, "visit_at": STARTS_AT}))
    ]
    expected = {
        "en": [
            "A few questions from Harbour Massage",
            "A few questions before your next visit at Harbour Massage",
        ],
        "es": [
            "Unas preguntas de Harbour Massage",
            "Unas preguntas antes de su próxima visita en Harbour Massage",
        ],
    }
    assert subjects == expected[language]
