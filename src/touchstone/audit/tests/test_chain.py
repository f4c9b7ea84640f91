"""The audit log's hash chain (audit/chain.py), `touchstone audit verify`, and on PostgreSQL
the app's role that may only INSERT and SELECT audit events (audit/privileges.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from touchstone.audit import chain
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.lib.db_roles import owner_settings
from touchstone.tests import db_roles


@contextmanager
def owner_cursor() -> Iterator[Any]:
    """A cursor that can tamper with the log: SQLite's own connection; on PostgreSQL the
    owner's, with the append-only triggers set aside (the test server's owner is a
    superuser), committing at the end."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    params = owner_settings(connection.settings_dict)
    with (
        psycopg.connect(
            dbname=params["NAME"],
            user=params["USER"],
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or None,
            port=params.get("PORT") or None,
        ) as conn,
        conn.cursor() as cursor,
    ):
        cursor.execute("SET session_replication_role = replica")
        yield cursor


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def three_events(cast: Cast) -> list[AuditEvent]:
    client = make_client(cast.harbour)
    for action in ("read", "update", "read"):
        record(actor_of(cast.bob), action, client)
    return list(AuditEvent.objects.filter(clinic=cast.harbour).order_by("id"))


def test_each_event_links_to_the_one_before_it_in_its_clinic(cast: Cast):
    harbour = three_events(cast)
    record(actor_of(cast.charlie), "read", make_client(cast.northside))
    northside = AuditEvent.objects.get(clinic=cast.northside)
    assert harbour[0].prev_hash == chain.GENESIS == northside.prev_hash
    assert [e.prev_hash for e in harbour[1:]] == [e.chain_hash for e in harbour[:-1]]
    for event in harbour:
        event.refresh_from_db()  # the hash is of what the database gives back
        assert event.chain_hash == chain.event_hash(event.chained_fields(), event.prev_hash)


def test_an_ipv6_address_hashes_as_the_database_stores_it(cast: Cast):
    actor = Actor.of_member(cast.bob, "web", "2001:DB8:0:0:0:0:0:1")
    record(actor, "read", make_client(cast.harbour))
    assert "audit chain intact: 1 event(s)" in verify()


def test_verify_says_the_chain_is_intact(cast: Cast):
    three_events(cast)
    out = verify()
    assert "audit chain intact: 3 event(s) in 1 chain(s)" in out
    assert f"clinic {cast.harbour.pk}: head" in out


@pytest.mark.django_db(transaction=True)
def test_verify_reports_a_changed_event_and_exits_non_zero(cast: Cast):
    events = three_events(cast)
    with owner_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'list' WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match=f"broken at event {events[1].pk} .*changed") as caught:
        verify()
    assert caught.value.returncode == 1


@pytest.mark.django_db(transaction=True)
def test_verify_reports_a_removed_event(cast: Cast):
    events = three_events(cast)
    with owner_cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match=f"broken at event {events[2].pk} .*removed"):
        verify()


def test_linking_existing_events_gives_a_chain_that_verifies() -> None:
    from datetime import UTC, datetime

    rows = [
        {
            "id": n,
            "clinic_id": n % 2 or None,
            "actor_id": 1,
            "actor_label": "bob",
            "action": "read",
            "object_type": "clients.client",
            "object_id": str(n),
            "detail": "",
            "channel": "web",
            "ip_address": "::1",
            "at": datetime(2026, 12, 1, 9, n, tzinfo=UTC),
        }
        for n in range(1, 6)
    ]
    linked = [
        {**row, "prev_hash": prev, "chain_hash": digest}
        for row, (_, prev, digest) in zip(rows, chain.link_rows(rows), strict=True)
    ]
    verdict = chain.verify(linked)
    assert verdict.broken is None and verdict.chains == 2
    linked[3]["detail"] = "x"
    broken = chain.verify(linked).broken
    assert broken is not None and (broken.event_id, broken.clinic_id) == (4, None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_a_clinics_chain(cast: Cast):
    if connection.vendor != "postgresql":
        pytest.skip("threads need a server database; SQLite serialises writers by its lock")
    client = make_client(cast.harbour)
    writers, each = 8, 5
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait()
            for _ in range(each):
                with transaction.atomic():
                    record(actor_of(cast.bob), "read", client)
                    time.sleep(0.01)  # a request goes on after its audit event
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert f"audit chain intact: {writers * each} event(s) in 1 chain(s)" in verify()


@pytest.mark.django_db(transaction=True)
def test_the_apps_role_may_only_insert_and_read_audit_events(cast: Cast):
    if not db_roles.two_roles():
        pytest.skip("PostgreSQL with an owner role and the app's role (DATABASE_OWNER_URL)")
    three_events(cast)
    for statement in (
        "UPDATE audit_auditevent SET detail = 'x'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent CASCADE",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only",
        "DROP TRIGGER audit_event_no_truncate ON audit_auditevent",
    ):
        with (
            pytest.raises(DatabaseError, match=r"permission denied|must be owner"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_truncate_even_to_the_owner(cast: Cast):
    if connection.vendor != "postgresql":
        pytest.skip("the triggers exist on PostgreSQL only")
    three_events(cast)
    import psycopg

    params = owner_settings(connection.settings_dict)
    with (
        psycopg.connect(
            dbname=params["NAME"], user=params["USER"], host=params["HOST"], port=params["PORT"]
        ) as conn,
        pytest.raises(psycopg.Error, match="append-only"),
    ):
        conn.execute("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.count() == 3
