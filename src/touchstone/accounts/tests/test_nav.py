"""The main menu of every staff page: each role sees the pages it may open, in one order,
and a URL tree under a sub-path gets its own links."""

from __future__ import annotations

import re

import pytest
from django.urls import set_script_prefix

from touchstone.accounts.nav import menu_for
from touchstone.accounts.roles import Role
from touchstone.conftest import Cast

_MENU = re.compile(r'<nav aria-label="Main" id="main-nav">(.*?)</nav>', re.S)

#: What the menu held when it was 21 ``{% url %}`` tags in base.html, role by role.
EXPECTED = {
    Role.OWNER: [
        "/", "/calendar/", "/clients/", "/measures/alerts/", "/outcomes/", "/evidence/", "/claims/",
        "/trials/", "/reports/payer/", "/interop/research/", "/accounts/staff/",
        "/accounts/audit/", "/messages/", "/messages/on-call/", "/jobs/",
        "/measures/instruments/", "/accounts/clinic/",
    ],
    Role.CLINICIAN: [
        "/", "/calendar/", "/clients/", "/measures/alerts/", "/outcomes/", "/evidence/", "/trials/",
        "/reports/payer/", "/messages/",
    ],
    Role.THERAPIST: ["/", "/calendar/", "/clients/", "/measures/alerts/", "/evidence/", "/trials/",
                     "/messages/"],
    Role.FRONT_DESK: ["/", "/calendar/", "/clients/", "/measures/alerts/", "/evidence/", "/claims/",
                      "/messages/"],
    Role.RESEARCHER: ["/", "/outcomes/research/", "/evidence/", "/trials/"],
}  # fmt: skip


def _menu_links(html: str) -> list[str]:
    (menu,) = _MENU.findall(html)
    return re.findall(r'<a href="([^"]+)"', menu)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_the_pages_it_may_open(cast: Cast, role: str):
    http = cast.browser_for(cast.by_role()[role])
    page = http.get("/evidence/")  # a page every role may open
    assert page.status_code == 200
    assert _menu_links(page.content.decode()) == EXPECTED[role]


def test_an_inactive_membership_gets_home_only():
    assert [link.url for link in menu_for(Role.OWNER, active=False)] == ["/"]


def test_a_deployment_under_a_sub_path_gets_its_own_links():
    try:
        set_script_prefix("/clinic-a/")
        assert menu_for(Role.RESEARCHER, active=True)[1].url == "/clinic-a/outcomes/research/"
    finally:
        set_script_prefix("/")
    assert menu_for(Role.RESEARCHER, active=True)[1].url == "/outcomes/research/"
