"""Signing in through the real sign-in form, as the browser tests' staff do."""

from __future__ import annotations

from typing import Any

#: The cast's password (touchstone.conftest).
PASSWORD = "correct horse battery"


def sign_in(page: Any, url: str, username: str) -> None:
    """Sign ``username`` in at the live server ``url`` and wait for their home page."""
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Good to see you").wait_for()
