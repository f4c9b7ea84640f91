"""The messages page: the care team sees what was sent, no one else's clinic's."""

from __future__ import annotations

from touchstone.audit.actor import Actor
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, make_client
from touchstone.messaging.actions import do_queue_client_message


def _message(cast: Cast, clinic: object, name: str) -> None:
    client = make_client(clinic, given_name=name, email=f"{name.lower()}@example.org")
    do_queue_client_message(
        Actor.system("job", client.clinic), client, key=f"k:{name}", kind="questionnaires",
        context={"link": "https://x.example/p/1", "expires_at": client.created_at},
    )  # fmt: skip


def test_the_front_desk_sees_the_clinics_messages_and_the_read_is_audited(cast: Cast):
    _message(cast, cast.harbour, "Quinn")
    _message(cast, cast.northside, "Umar")
    page = cast.browser_for(cast.fiona).get("/messages/")
    html = page.content.decode()
    assert page.status_code == 200 and "Quinn Example" in html and "Umar" not in html
    assert AuditEvent.objects.filter(actor=cast.fiona.user, object_type="messaging.message")


def test_it_filters_by_status(cast: Cast):
    _message(cast, cast.harbour, "Quinn")
    html = cast.browser_for(cast.alice).get("/messages/?status=sent").content.decode()
    assert "Quinn" not in html


def test_researchers_see_no_messages(cast: Cast):
    assert cast.browser_for(cast.rita).get("/messages/").status_code == 403
