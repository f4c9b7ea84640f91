"""Help texts and errors are connected to their fields (issue 17 §4): every
``aria-describedby`` on every page names an element that exists on that page.

Django gives a field with help text ``aria-describedby="<id>_helptext"`` (and ``<id>_error``
when it has errors); the one shared field include (``includes/field.html``) renders those
ids. A page that renders a field by hand must do the same."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from touchstone.accounts.roles import Role
from touchstone.conftest import Cast
from touchstone.tests import matrix

pytestmark = pytest.mark.slow

_DESCRIBED = re.compile(r'aria-describedby="([^"]*)"')
_ID = re.compile(r'\sid="([^"]+)"')


def _dangling(html: str) -> set[str]:
    ids = set(_ID.findall(html))
    return {ref for refs in _DESCRIBED.findall(html) for ref in refs.split() if ref not in ids}


def _check(http: HttpClient, url: str, failures: list[str]) -> None:
    response = http.get(url)
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        missing = _dangling(response.content.decode())
        if missing:
            failures.append(f"{url}: {sorted(missing)}")


@pytest.mark.parametrize("role", [Role.OWNER, Role.CLINICIAN, Role.FRONT_DESK])
def test_every_described_field_points_at_an_element_on_its_page(cast: Cast, role: str):
    member = cast.by_role()[role]
    http = cast.browser_for(member)
    failures: list[str] = []
    for route, permission in matrix.protected_routes():
        if member.can(permission):
            _check(http, matrix.url(route, matrix.objects(cast.harbour, route)), failures)
    assert failures == []


def test_public_pages_connect_their_help_too(cast: Cast):
    failures: list[str] = []
    for route, pattern in matrix.html_routes():
        if not getattr(pattern.callback, "touchstone_permission", None) and not matrix.kwargs(
            route
        ):
            _check(HttpClient(), matrix.url(route, {}), failures)
    assert failures == []


def test_a_field_with_an_error_points_at_its_error(cast: Cast):
    page = cast.browser_for(cast.alice).post("/clients/new/", {"given_name": ""})
    html = page.content.decode()
    assert 'aria-describedby="id_given_name_error"' in html or (
        "id_given_name_error" in _DESCRIBED.search(html).group(1)  # type: ignore[union-attr]
    )
    assert _dangling(html) == set()
