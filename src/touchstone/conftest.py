"""The shared cast of every web test.

Harbour clinic: Alice (owner), Bob (clinician), Tess (massage therapist), Fiona (front desk),
Rita (researcher). Charlie owns another clinic, Northside: the outsider.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import Role
from touchstone.audit.actor import Actor, Channel
from touchstone.clients.models import Client
from touchstone.logs import Formatter
from touchstone.tests import db_roles
from touchstone.tests.log_guard import LogGuard


@pytest.fixture(scope="session", autouse=True)
def _no_client_data_in_any_log_line() -> Iterator[LogGuard]:
    """Every log line of the session, checked at its end against every piece of client data
    the session's models held (touchstone/tests/log_guard.py). Touchstone's own loggers log
    at DEBUG here, so that their quietest lines are checked too."""
    guard = LogGuard()
    levels = {name: logging.getLogger(name).level for name in ("touchstone", "django_structlog")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    guard.connect()
    yield guard
    attached = guard.attached
    guard.disconnect()
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    assert attached, "the log guard was removed from the root logger during the session"
    leaks = guard.leaks()
    shown = "\n".join(f"  {value!r} in {line}" for value, line in leaks[:10])
    assert not leaks, f"{len(leaks)} log line(s) carry client data:\n{shown}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """PostgreSQL with two roles: the test database is created and migrated by the owner."""
    if db_roles.two_roles():
        db_roles.switch_to_owner()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """...and the tests run as the app's role, as production does (tests/db_roles.py)."""
    if not db_roles.two_roles():
        yield
        return
    with django_db_blocker.unblock(), db_roles.as_app_role():
        yield


@pytest.fixture(autouse=True)
def _no_login_throttling_by_default(settings: Any) -> None:
    """Tests sign in many times; the throttling test turns axes back on."""
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _server_time_zone_after_each_test() -> Any:
    """Commands that act for a clinic activate its time zone for the rest of the process."""
    yield
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """Lists read once are kept in the process's cache (outcomes.summaries._read_once); a
    rolled-back test may leave a clinic with the same ids and counter for the next one."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 is slow on purpose; tests that do not check hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_member(clinic: Clinic, username: str, role: str, **user_fields: Any) -> StaffMember:
    user = get_user_model().objects.create_user(
        username=username,
        password="correct horse battery",
        email=f"{username}@example.org",
        first_name=user_fields.pop("first_name", username.title()),
        **user_fields,
    )
    return StaffMember.objects.create(user=user, clinic=clinic, role=role)


def actor_of(member: StaffMember, channel: Channel = "web") -> Actor:
    """The ``Actor`` of a cast member, for tests that call actions directly."""
    return Actor.of_member(member, channel)


def make_client(clinic: Clinic, **fields: Any) -> Client:
    values: dict[str, Any] = {
        "given_name": "Dana",
        "family_name": "Example",
        "date_of_birth": dt.date(1985, 4, 2),
        "consent_to_treatment": True,
        "consent_to_treatment_on": dt.date(2024, 1, 10),
    }
    values.update(fields)
    return Client.objects.create(clinic=clinic, **values)


@dataclass
class Cast:
    harbour: Clinic
    northside: Clinic
    alice: StaffMember
    bob: StaffMember
    tess: StaffMember
    fiona: StaffMember
    rita: StaffMember
    charlie: StaffMember

    def by_role(self) -> dict[str, StaffMember]:
        return {m.role: m for m in (self.alice, self.bob, self.tess, self.fiona, self.rita)}

    def browser_for(self, member: StaffMember) -> HttpClient:
        http = HttpClient()
        http.force_login(member.user)
        return http


@pytest.fixture
def cast(db: Any) -> Cast:
    harbour = Clinic.objects.create(name="Harbour Massage", slug="harbour")
    northside = Clinic.objects.create(name="Northside Bodywork", slug="northside")
    return Cast(
        harbour=harbour,
        northside=northside,
        alice=make_member(harbour, "alice", Role.OWNER),
        bob=make_member(harbour, "bob", Role.CLINICIAN),
        tess=make_member(harbour, "tess", Role.THERAPIST),
        fiona=make_member(harbour, "fiona", Role.FRONT_DESK),
        rita=make_member(harbour, "rita", Role.RESEARCHER),
        charlie=make_member(northside, "charlie", Role.OWNER),
    )


@pytest.fixture
def as_alice(cast: Cast) -> HttpClient:
    return cast.browser_for(cast.alice)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database that installations (tests/installation.py) start from: a SQLite
    file, or the name of a PostgreSQL database on the run's server (dropped at the end)."""
    from touchstone.tests import installation

    template = installation.migrated_template(tmp_path_factory.mktemp("migrated"))
    yield template
    server = installation.postgres_url()
    if server is not None:
        installation.drop_postgres_database(server, template)


@pytest.fixture
def log_events(caplog: pytest.LogCaptureFixture) -> Any:
    """``log_events("upload_refused")``: the test's log lines of that event (all without a
    name), as the JSON objects production writes."""
    caplog.set_level(logging.DEBUG, logger="touchstone")
    formatter = Formatter("json")

    def events(name: str | None = None) -> list[dict[str, Any]]:
        lines = [json.loads(formatter.format(record)) for record in caplog.records]
        return [line for line in lines if name is None or line["event"] == name]

    return events
