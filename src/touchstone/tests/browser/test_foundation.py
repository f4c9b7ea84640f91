"""A new staff member's first minutes, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from touchstone.clients.models import Client
from touchstone.conftest import Cast

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()


def test_a_front_desk_member_signs_in_and_registers_a_client(
    cast: Cast, live_server: Any, page: Any, screenshot: Any
):
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot("login")
    _sign_in(page, live_server, "fiona")
    page.get_by_role("heading", name="Good to see you").wait_for()
    screenshot("home")
    page.get_by_role("link", name="New client").first.click()
    page.get_by_label("Given name").fill("Rosa")
    page.get_by_label("Family name").fill("Delgado")
    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Date of birth cannot be in the future.").wait_for()
    screenshot("client-form-errors")
    page.get_by_label("Date of birth").fill("1984-05-17")
    page.get_by_label("Consents to treatment", exact=True).check()
    page.get_by_label("Consent to treatment given on").fill("2025-05-01")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Rosa Delgado").wait_for()
    screenshot("client-detail")
    assert Client.objects.get(family_name="Delgado").clinic == cast.harbour
    page.get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="Delgado, Rosa").wait_for()
    screenshot("client-list")


def test_an_owner_reads_the_audit_log(cast: Cast, live_server: Any, page: Any, screenshot: Any):
    _sign_in(page, live_server, "alice")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_role("cell", name="Signed in").first.wait_for()
    screenshot("audit-log")
