"""``touchstone cleanup`` (operations/cleanup.py): expired sessions, unconfirmed wearable
uploads and stale sign-in failures go; private links, tokens and audit events stay."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

from axes.models import AccessAttempt
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.operations.cleanup import run_cleanup
from touchstone.physiology.actions import do_store_wearable_upload
from touchstone.physiology.models import UPLOAD_LIFETIME, WearableUpload
from touchstone.portal.models import PortalLink


def a_session(expires_in: dt.timedelta) -> None:
    store = SessionStore()
    store["x"] = 1
    store.set_expiry(expires_in)
    store.save()


def test_it_deletes_what_expired_and_keeps_the_rest(cast: Cast):
    client = make_client(cast.harbour)
    a_session(dt.timedelta(hours=1))
    a_session(dt.timedelta(seconds=-1))
    kept = do_store_wearable_upload(actor_of(cast.tess), client, "sleep", "", "a,b\n1,2\n")
    old = do_store_wearable_upload(actor_of(cast.bob), client, "sleep", "", "a,b\n1,2\n")
    WearableUpload.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    attempt = AccessAttempt.objects.create(
        username="x", ip_address="192.0.2.1", user_agent="", get_data="", post_data="",
        failures_since_start=1,
    )  # fmt: skip
    AccessAttempt.objects.create(
        username="y", ip_address="192.0.2.1", user_agent="", get_data="", post_data="",
        failures_since_start=1,
    )  # fmt: skip
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=timezone.now() - dt.timedelta(hours=2)
    )
    events = AuditEvent.objects.count()

    assert run_cleanup() == {"sessions": 1, "sign_in_failures": 1, "wearable_uploads": 1}
    assert list(WearableUpload.objects.all()) == [kept]
    assert Session.objects.count() == 1
    assert AuditEvent.objects.count() == events
    assert run_cleanup() == {"sessions": 0, "sign_in_failures": 0, "wearable_uploads": 0}


def test_it_keeps_expired_private_links_for_the_audit_trail(cast: Cast):
    from touchstone.portal.actions import do_create_portal_link
    from touchstone.portal.models import Purpose

    client = make_client(cast.harbour)
    link = do_create_portal_link(
        actor_of(cast.bob), client, Purpose.SLEEP_DIARY, [], timezone.now() + UPLOAD_LIFETIME
    )
    run_cleanup(now=timezone.now() + dt.timedelta(days=400))
    assert PortalLink.objects.filter(pk=link.pk).exists()


def test_the_command_prints_and_logs_counts_only(cast: Cast, log_events: Any):
    a_session(dt.timedelta(seconds=-1))
    out = StringIO()
    call_command("cleanup", stdout=out)
    assert "sessions: 1 deleted" in out.getvalue()
    (line,) = log_events("cleanup_finished")
    assert line["sessions"] == 1 and set(line) >= {"wearable_uploads", "sign_in_failures"}
