"""``touchstone setup``: a real clinic and its first owner, from nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.audit.models import AuditEvent

PASSWORD = "lantern-quarry-velvet-42"
ARGS = ["--clinic", "Lakeside Massage", "--owner", "lee", "--email", "lee@example.org"]


@pytest.fixture
def owner_password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TOUCHSTONE_OWNER_PASSWORD", PASSWORD)
    return PASSWORD


def _setup(*args: str) -> str:
    out = io.StringIO()
    call_command("setup", "--no-input", *args, stdout=out)
    return out.getvalue()


def test_it_creates_the_clinic_and_its_owner(db: Any, owner_password: str):
    out = _setup(*ARGS, "--timezone", "America/Chicago", "--first-name", "Lee")
    clinic = Clinic.objects.get()
    assert (clinic.name, clinic.slug, clinic.time_zone) == (
        "Lakeside Massage",
        "lakeside-massage",
        "America/Chicago",
    )
    assert clinic.require_two_factor and not clinic.is_synthetic
    member = StaffMember.objects.select_related("user").get()
    assert member.role == "owner" and member.clinic == clinic
    assert authenticate(username="lee", password=owner_password) == member.user
    assert "two-factor" in out and "lee" in out
    events = AuditEvent.objects.filter(channel="cli", actor=member.user)
    assert sorted(events.values_list("object_type", flat=True)) == [
        "accounts.clinic",
        "accounts.staffmember",
    ]
    assert owner_password not in out


def test_it_names_the_next_steps_with_a_clinician_before_any_questionnaire(
    db: Any, owner_password: str
):
    # The owner may not handle risk alerts: a clinic of one owner has nobody who can close one.
    out = " ".join(_setup(*ARGS, "--timezone", "America/Chicago").split())
    assert "Next steps:" in out and "Clinic settings" in out and "services" in out
    step = "invite a licensed clinician before sending questionnaires: risk alerts go to clinicians"
    assert step in out


def test_it_refuses_to_set_up_the_same_clinic_twice(db: Any, owner_password: str):
    _setup(*ARGS, "--timezone", "America/Chicago")
    again = ["--clinic", "LAKESIDE MASSAGE", "--owner", "kim", "--email", "kim@example.org"]
    with pytest.raises(CommandError, match="already exists"):
        _setup(*again, "--timezone", "UTC")
    assert Clinic.objects.count() == 1
    assert not get_user_model().objects.filter(username="kim").exists()


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--timezone", "America/Chicago"], "short", "password: This password is too short"),
        (["--timezone", "America/Chicago"], "lee@example.org", "too similar"),
        (["--timezone", "Mars/Olympus_Mons"], PASSWORD, "not a time zone name"),
        (["--timezone", "UTC", "--email", "not-an-address"], PASSWORD, "email"),
        ([], PASSWORD, "--timezone is required"),
    ],
)
def test_it_refuses_bad_input_and_creates_nothing(
    db: Any, monkeypatch: pytest.MonkeyPatch, args: list[str], password: str, message: str
):
    monkeypatch.setenv("TOUCHSTONE_OWNER_PASSWORD", password)
    with pytest.raises(CommandError, match=message) as error:
        _setup(*ARGS, *args)
    assert error.value.returncode == 2
    assert not Clinic.objects.exists() and not get_user_model().objects.exists()


def test_it_refuses_a_taken_username(db: Any, owner_password: str):
    get_user_model().objects.create_user(username="Lee")
    with pytest.raises(CommandError, match="taken"):
        _setup(*ARGS, "--timezone", "UTC")
    assert not Clinic.objects.exists()


def test_without_a_terminal_the_password_must_come_from_the_environment(
    db: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("TOUCHSTONE_OWNER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="TOUCHSTONE_OWNER_PASSWORD"):
        _setup(*ARGS, "--timezone", "UTC")
    assert not Clinic.objects.exists()


def test_in_a_terminal_it_asks_for_what_is_missing(db: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TOUCHSTONE_OWNER_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["Lakeside Massage", "lee", "lee@example.org", ""])  # "" takes the default
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    passwords = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(passwords))
    out = io.StringIO()
    call_command("setup", stdout=out)
    assert Clinic.objects.get().time_zone == "UTC"  # the server's TIME_ZONE, offered as default
    assert authenticate(username="lee", password=PASSWORD) is not None
