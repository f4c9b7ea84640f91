"""Settings come from the environment and fail loudly on bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from touchstone.env import env_bool, env_choice, env_int, env_list


def test_it_reads_booleans_and_rejects_nonsense(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", False)


def test_it_reads_whole_numbers_with_a_minimum(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("X_N", "12")
    assert env_int("X_N", 1, minimum=1) == 12
    monkeypatch.setenv("X_N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("X_N", 1)
    monkeypatch.setenv("X_N", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("X_N", 1, minimum=1)


def test_it_reads_lists_and_choices(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("X_HOSTS", "a.example, b.example,,")
    assert env_list("X_HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("X_MODE", "staging")
    with pytest.raises(ImproperlyConfigured, match="one of"):
        env_choice("X_MODE", "development", ("development", "production"))


def _touchstone(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a
        # deployment must never have it, and check --deploy says so.
        if k
        not in {
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "TOUCHSTONE_MODE",
            "AXES_ENABLED",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "-m", "touchstone", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_production_refuses_to_start_without_a_secret_key():
    result = _touchstone("check", TOUCHSTONE_MODE="production", ALLOWED_HOSTS="touchstone.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


STRONG_KEY = "k" * 10 + "-Zq8#x!vB2@pL5^nR7&tY1*wE4(uI6)oA9_sD3+fG0=hJ" + "m" * 10


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": "0123456789abcdef0123456789abcdef"}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": "ab" * 40}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": "django-insecure-" + STRONG_KEY}, "SECRET_KEY is too weak"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS=* is refused"),
        ({"ALLOWED_HOSTS": "touchstone.example,*"}, "ALLOWED_HOSTS=* is refused"),
        ({"AXES_ENABLED": "0"}, "AXES_ENABLED=0 is refused"),
    ],
)
def test_production_refuses_unsafe_settings(env: dict[str, str], message: str):
    base = {"TOUCHSTONE_MODE": "production", "ALLOWED_HOSTS": "touchstone.example"}
    result = _touchstone("check", **{**base, "SECRET_KEY": STRONG_KEY, **env})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr
    assert STRONG_KEY not in result.stderr  # the message never repeats the key


@pytest.mark.slow
def test_demo_mode_runs_with_debug_off_and_without_production_secrets(tmp_path: Path):
    result = _touchstone(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.MODE)",
        TOUCHSTONE_MODE="demo",
        TOUCHSTONE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "demo"]


@pytest.mark.slow
def test_production_passes_the_deployment_checklist_without_warnings():
    result = _touchstone(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        TOUCHSTONE_MODE="production",
        ALLOWED_HOSTS="touchstone.example",
        SECRET_KEY=STRONG_KEY,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_the_app_connects_as_its_role_and_owner_commands_as_the_owner():
    roles = {
        "DATABASE_URL": "postgres://touchstone_app:a@db.internal/touchstone",
        "DATABASE_OWNER_URL": "postgres://touchstone_owner:o@db.internal/touchstone",
    }
    show = "from django.conf import settings as s; print(s.DATABASES['default']['USER'])"
    app = _touchstone("shell", "--no-imports", "-c", show, **roles)
    assert app.stdout.strip() == "touchstone_app", app.stderr
    owner = _touchstone(
        "shell", "--no-imports", "-c", show, TOUCHSTONE_DATABASE_AS_OWNER="1", **roles
    )
    assert owner.stdout.strip() == "touchstone_owner", owner.stderr


@pytest.mark.parametrize(
    ("command", "as_owner"), [("migrate", True), ("flush", True), ("check", False)]
)
def test_the_command_marks_owner_commands(
    command: str, as_owner: bool, monkeypatch: pytest.MonkeyPatch
):
    from django.core import management

    from touchstone import cli

    environ = {k: v for k, v in os.environ.items() if k != "TOUCHSTONE_DATABASE_AS_OWNER"}
    monkeypatch.setattr(os, "environ", environ)  # cli.main sets variables: keep them here
    monkeypatch.setattr(management, "execute_from_command_line", lambda argv: None)
    cli.main(["touchstone", command])
    assert (environ.get("TOUCHSTONE_DATABASE_AS_OWNER") == "1") is as_owner
