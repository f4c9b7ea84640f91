"""Settings come from the environment and fail loudly on bad values."""

from __future__ import annotations

import os
import subprocess
import sys

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


@pytest.mark.slow
def test_production_passes_the_deployment_checklist_without_warnings():
    result = _touchstone(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        TOUCHSTONE_MODE="production",
        ALLOWED_HOSTS="touchstone.example",
        SECRET_KEY="k" * 10 + "-Zq8#x!vB2@pL5^nR7&tY1*wE4(uI6)oA9_sD3+fG0=hJ" + "m" * 10,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
