"""API list reads filtered by a client record which client was read (issue 11 §3)."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from touchstone.accounts.actions import do_create_token
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of, make_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/administrations",
        "/api/v1/physiology/samples",
        "/api/v1/physiology/recordings",
        "/api/v1/physiology/sleep-nights",
    ],
)
def test_a_list_filtered_by_client_names_the_client(cast: Cast, path: str):
    client = make_client(cast.harbour)
    other = make_client(cast.northside)
    _, token = do_create_token(actor_of(cast.tess), "t")
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get(path, {"client_id": client.pk}).status_code == 200
    event = AuditEvent.objects.filter(action="list").latest("pk")
    assert event.detail == f"client {client.pk}, api list"
    assert api.get(path, {"client_id": other.pk}).status_code == 404  # not an empty list
