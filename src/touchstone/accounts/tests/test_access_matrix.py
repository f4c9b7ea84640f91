"""Every URL, for every role and for an outsider: another clinic's objects are never
reachable (404), a role without the permission gets 403, and a view that carries neither
``requires(...)`` nor ``public`` fails this test by itself.

The routes and how to build their objects come from ``touchstone/tests/matrix.py`` (shared
with the audit matrix): a new object kwarg needs a factory there.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from touchstone.accounts.actions import do_create_token
from touchstone.accounts.roles import PERMISSIONS, Role, role_has
from touchstone.api import api
from touchstone.conftest import Cast, actor_of
from touchstone.tests import matrix


def test_it_requires_every_view_to_declare_its_access():
    unmarked = [
        route
        for route, pattern in matrix.html_routes()
        if not (
            getattr(pattern.callback, "touchstone_permission", None)
            or getattr(pattern.callback, "touchstone_public", False)
        )
    ]
    assert unmarked == [], "views without requires(...) or public: " + ", ".join(unmarked)


def test_it_requires_every_api_operation_to_declare_its_permission():
    unmarked = [
        f"{method} {prefix}{path}"
        for prefix, router in api._routers
        for path, path_view in router.path_operations.items()
        for operation in path_view.operations
        for method in operation.methods
        if getattr(operation.view_func, "touchstone_permission", None) not in PERMISSIONS
    ]
    assert unmarked == []


def test_it_knows_how_to_build_every_url_kwarg():
    unknown = {
        kwarg
        for route, _ in matrix.html_routes()
        for kwarg in matrix.kwargs(route)
        if kwarg not in matrix.OBJECT_FACTORIES and kwarg not in matrix.NON_OBJECT_KWARGS
    }
    assert unknown == set(), f"add factories for {unknown}"


@pytest.mark.parametrize("role", [*Role, "outsider"])
def test_it_keeps_other_clinics_objects_out_of_reach_in_every_view(cast: Cast, role: str):
    member = cast.charlie if role == "outsider" else cast.by_role()[role]
    victim = cast.harbour if role == "outsider" else cast.northside
    http = cast.browser_for(member)
    failures = []
    for route, pattern in matrix.html_routes():
        if not any(k in matrix.OBJECT_FACTORIES for k in matrix.kwargs(route)):
            continue
        # Public views too: a view marked public must still never show another clinic's rows.
        permission = getattr(pattern.callback, "touchstone_permission", None)
        url = matrix.url(route, matrix.objects(victim, route))
        expected = 403 if permission and not member.can(permission) else 404
        for method in ("get", "post"):
            status = getattr(http, method)(url).status_code
            if method == "get" and status == 405:
                continue  # a POST-only view refuses GET before it looks anything up
            if status != expected:
                failures.append(
                    f"{method.upper()} {url} ({permission}) -> {status}, not {expected}"
                )
    assert failures == []


@pytest.mark.parametrize("role", list(Role))
def test_it_refuses_roles_without_the_permission_with_403(cast: Cast, role: str):
    member = cast.by_role()[role]
    http = cast.browser_for(member)
    failures = []
    for route, permission in matrix.protected_routes():
        url = matrix.url(route, matrix.objects(cast.harbour, route))
        status = http.get(url).status_code
        allowed = role_has(role, permission)
        if allowed and (status in (403, 404) or status >= 500):
            failures.append(f"GET {url} ({permission}) -> {status} for an allowed role")
        if not allowed:
            for method in ("get", "post"):
                status = getattr(http, method)(url).status_code
                if status != 403:
                    failures.append(f"{method.upper()} {url} ({permission}) -> {status}, not 403")
    assert failures == []


def test_it_sends_anonymous_visitors_to_the_login_page(cast: Cast):
    http = HttpClient()
    for route, _ in matrix.protected_routes():
        response = http.get(matrix.url(route, matrix.objects(cast.harbour, route)))
        assert response.status_code == 302, route
        assert response["Location"].startswith("/accounts/login/"), route


@pytest.mark.parametrize("role", [*Role, "outsider"])
def test_it_keeps_other_clinics_objects_out_of_reach_in_the_api(cast: Cast, role: str):
    member = cast.charlie if role == "outsider" else cast.by_role()[role]
    victim = cast.harbour if role == "outsider" else cast.northside
    _, token = do_create_token(actor_of(member), "matrix")
    http = HttpClient()
    failures = []
    for method, route, operation in matrix.api_operations():
        permission = operation.view_func.touchstone_permission
        kwargs = re.findall(r"{(\w+)}", route)
        url = matrix.api_url(route, victim)
        status = matrix.api_call(http, method, url, operation, token, clinic=member.clinic)
        if not member.can(permission):
            expected = 403
        elif kwargs:
            expected = 404
        else:
            expected = None  # a collection of one's own clinic: any success is fine
        if expected is not None and status != expected:
            failures.append(f"{method} {url} ({permission}) -> {status}, not {expected}")
        if expected is None and status >= 400:
            failures.append(f"{method} {url} ({permission}) -> {status} for an allowed role")
    assert failures == []


def test_it_refuses_api_calls_without_a_valid_token(cast: Cast):
    http = HttpClient()
    for method, route, _ in matrix.api_operations():
        url = re.sub(r"{(\w+)}", "1", route)
        response = getattr(http, method.lower())(url, HTTP_AUTHORIZATION="Bearer ts_nope_nope")
        assert response.status_code == 401, f"{method} {url}"
        assert response.json()["error"]["code"] == "unauthenticated"
