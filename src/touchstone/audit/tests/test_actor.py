"""Who acted, through which channel: the ``Actor`` is built once at each edge (web, API,
portal, command line) and the audit log and the version history both take it from there."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import Client as HttpClient

from touchstone.audit.actor import Actor
from touchstone.audit.models import AuditEvent
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.models import Administration
from touchstone.portal.models import PortalLink


def test_a_staff_member_acts_in_their_clinic():
    actor = Actor("cli")
    with pytest.raises(PermissionError):
        _ = actor.staff
    with pytest.raises(ValueError, match="channel"):
        Actor("fax")  # type: ignore[arg-type]


def test_an_anonymous_visitor_has_no_user_and_no_clinic():
    actor = Actor.of_user(AnonymousUser(), "web", "192.0.2.1")
    assert (actor.user, actor.member, actor.clinic, actor.label) == (None, None, None, "")
    assert actor.address == "192.0.2.1"


def test_the_web_actor_is_the_signed_in_member_with_their_address(cast: Cast):
    http = cast.browser_for(cast.tess)
    http.post(
        "/clients/new/",
        {"given_name": "Ines", "family_name": "Okafor", "date_of_birth": "1990-02-03"},
        REMOTE_ADDR="198.51.100.23",
    )
    client = Client.objects.get()
    event = AuditEvent.objects.get(action="create", object_type="clients.client")
    assert (event.actor, event.clinic, event.channel) == (cast.tess.user, cast.harbour, "web")
    assert event.ip_address == "198.51.100.23"
    assert client.history.get().history_user == cast.tess.user


def test_the_api_actor_writes_the_event_and_the_version_author(cast: Cast):
    out = io.StringIO()
    call_command("token", "bob", stdout=out)
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    client = make_client(cast.harbour)
    response = api.patch(
        f"/api/v1/clients/{client.pk}", json.dumps({"phone": "555-000-1111"}), "application/json"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="update")
    assert (event.actor, event.channel, event.detail) == (cast.bob.user, "api", "fields: phone")
    assert client.history.latest().history_user == cast.bob.user


def test_the_portal_actor_is_the_client_even_in_a_staff_members_browser(cast: Cast):
    """A client who fills a link on a device where a staff member is signed in is still the
    one who answers: no staff name on the events (the request's user is not the actor)."""
    client = make_client(cast.harbour)
    staff = cast.browser_for(cast.tess)
    page = staff.post(
        f"/clients/{client.pk}/links/new/", {"instrument_ids": ["phq2"], "valid_days": "3"}
    ).content.decode()
    path = re.search(r'value="http://testserver(/p/[^"]+)"', page).group(1)
    link = PortalLink.objects.get()
    pk = link.administrations.get().pk
    staff.post(path, {f"a{pk}-phq2-1": "1", f"a{pk}-phq2-2": "0", "finish": "1"})
    portal = AuditEvent.objects.filter(channel="portal")
    assert {e.action for e in portal} == {"update"}
    # The link opened (first use, shown on the due list), the answers, and the link spent.
    assert sorted(e.detail for e in portal if e.object_type == "portal.portallink")[0] == "opened"
    assert portal.count() == 3
    assert all(e.actor is None and e.clinic == cast.harbour for e in portal)
    assert Administration.objects.get().history.latest().history_user is None


def test_the_command_line_acts_for_the_clinic_with_no_user(cast: Cast, tmp_path):
    client = make_client(cast.harbour)
    out = tmp_path / "bundle.json"
    call_command("export", "fhir", str(client.pk), "--out", str(out), "--clinic", "harbour")
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.clinic, event.channel, event.ip_address) == (
        None,
        cast.harbour,
        "cli",
        None,
    )


def test_an_actor_of_a_member_carries_their_clinic(cast: Cast):
    actor = actor_of(cast.charlie, "job")
    assert (actor.clinic, actor.member, actor.user, actor.label) == (
        cast.northside,
        cast.charlie,
        cast.charlie.user,
        "charlie",
    )
