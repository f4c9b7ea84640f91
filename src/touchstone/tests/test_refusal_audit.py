"""Refused requests of signed-in users leave an audit event (issue 11 §3 "Audit gaps"): a
role without the permission (403) and another clinic's record (404), on pages and the API."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from touchstone.accounts.actions import do_create_token
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.tests.factories import answered

pytestmark = pytest.mark.django_db


def test_a_page_refused_by_role_or_tenant_leaves_an_event(cast: Cast):
    client = make_client(cast.harbour)
    answered(client, cast.tess, "phq9", [1] * 9)
    fiona = cast.browser_for(cast.fiona)
    assert fiona.get(f"/clients/{client.pk}/progress/").status_code == 403
    charlie = cast.browser_for(cast.charlie)
    assert charlie.get(f"/clients/{client.pk}/?q=Dana").status_code == 404
    events = list(AuditEvent.objects.filter(action="denied").order_by("pk"))
    assert [(e.actor_id, e.clinic_id, e.detail.split()[0], e.object_id) for e in events] == [
        (cast.fiona.user_id, cast.harbour.pk, "403", str(client.pk)),
        (cast.charlie.user_id, cast.northside.pk, "404", str(client.pk)),
    ]
    assert all("Dana" not in e.detail for e in events)


def test_an_anonymous_404_leaves_no_event(cast: Cast):
    assert HttpClient().get("/clients/1/").status_code == 302  # to sign-in
    assert HttpClient().get("/no/such/page/").status_code == 404
    assert not AuditEvent.objects.filter(action="denied").exists()


def test_an_api_call_refused_by_role_or_tenant_leaves_an_event(cast: Cast):
    client = make_client(cast.harbour)
    for member, path, status in [
        (cast.fiona, "/api/v1/administrations", 403),
        (cast.charlie, f"/api/v1/clients/{client.pk}", 404),
    ]:
        _, token = do_create_token(actor_of(member), "t")
        api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert api.get(path).status_code == status
        event = AuditEvent.objects.filter(action="denied").latest("pk")
        assert (event.actor_id, event.channel, event.detail.split()[0]) == (
            member.user_id, "api", str(status),
        )  # fmt: skip
