"""Every URL, for every role and for an outsider: another clinic's objects are never
reachable (404), a role without the permission gets 403, and a view that carries neither
``requires(...)`` nor ``public`` fails this test by itself.

To add a URL with a new object kwarg, add a factory to ``OBJECT_FACTORIES``; to add an API
write operation with a new body schema, add an example to ``EXAMPLE_BODIES``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.accounts.models import ApiToken, Clinic, StaffMember
from touchstone.accounts.roles import PERMISSIONS, Role, role_has
from touchstone.api import api
from touchstone.care.tests import factories as care_factories
from touchstone.conftest import Cast, actor_of, make_client, make_member
from touchstone.evidence.tests import factories as evidence_factories
from touchstone.physiology.tests import factories as physiology_factories


# kwarg name -> builds an object in the given clinic and returns its id.
def _administration(clinic: Clinic) -> Any:
    from touchstone.measures.models import Administration

    return Administration.objects.create(
        clinic=clinic, client=make_client(clinic), instrument_id="phq9", mode="clinic"
    )


def _alert(clinic: Clinic) -> Any:
    from touchstone.measures.models import RiskAlert

    administration = _administration(clinic)
    return RiskAlert.objects.create(
        clinic=clinic,
        client=administration.client,
        administration=administration,
        reason="risk_item",
        item="phq9-9",
    )


def _portal_link(clinic: Clinic) -> Any:
    from touchstone.portal.models import PortalLink

    return PortalLink.objects.create(
        clinic=clinic,
        client=make_client(clinic),
        purpose="progress",
        created_by=StaffMember.objects.filter(clinic=clinic).first(),
        expires_at=timezone.now() + dt.timedelta(days=1),
    )


OBJECT_FACTORIES: dict[str, Callable[[Clinic], Any]] = {
    "client_id": lambda clinic: make_client(clinic).pk,
    "administration_id": lambda clinic: _administration(clinic).pk,
    "alert_id": lambda clinic: _alert(clinic).pk,
    "link_id": lambda clinic: _portal_link(clinic).pk,
    "episode_id": lambda clinic: care_factories.make_episode(clinic).pk,
    "visit_id": lambda clinic: care_factories.make_visit(clinic).pk,
    "medication_id": lambda clinic: care_factories.make_medication(clinic).pk,
    "adverse_event_id": lambda clinic: care_factories.make_adverse_event(clinic).pk,
    "sample_id": lambda clinic: physiology_factories.make_sample(clinic).pk,
    "recording_id": lambda clinic: physiology_factories.make_recording(clinic).pk,
    "sleep_night_id": lambda clinic: physiology_factories.make_sleep_night(clinic).pk,
    "staff_id": lambda clinic: (
        make_member(
            clinic,
            f"x{clinic.pk}{ApiToken.objects.count()}{StaffMember.objects.count()}",
            Role.THERAPIST,
        ).pk
    ),
    "study_id": lambda clinic: evidence_factories.make_study(clinic).pk,
    "synthesis_id": lambda clinic: evidence_factories.make_synthesis(clinic).pk,
    "token_id": lambda clinic: (
        do_create_token(actor_of(StaffMember.objects.filter(clinic=clinic).first()), "matrix")[0].pk
    ),
}
# Kwargs that are not tenant objects (signed tokens of Django's password reset).
NON_OBJECT_KWARGS = {"uidb64": "MQ", "token": "set-password"}

EXAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "ClientIn": {"given_name": "Eve", "family_name": "Probe", "date_of_birth": "1990-01-01"},
    "ClientPatch": {"phone": "555-000-1111"},
    "EpisodeIn": {"title": "Probe", "started_on": "2025-01-06"},
    "EpisodePatch": {"goals": "Sleep better"},
    "DiagnosisIn": {"code": "F41.1", "source": "referring"},
    "VisitIn": {"starts_at": "2025-01-06T10:00:00+00:00"},
    "VisitPatch": {"status": "completed"},
    "AdministrationIn": {"instrument_id": "phq2", "answers": {"phq2-1": 1}},
    "CloseIn": {"action_taken": "probe"},
    "FhirResourceIn": {"resourceType": "QuestionnaireResponse", "status": "completed"},
    "SampleIn": {"value": 12.5, "unit": "nmol/L", "collected_at": "2025-01-06T07:00:00+00:00"},
    "RecordingIn": {"recorded_at": "2025-01-06T10:00:00+00:00", "rr_text": "800\n" * 20},
    "SleepNightIn": {
        "night_of": "2025-01-06",
        "in_bed": "23:00",
        "tried_sleep": "23:10",
        "sol_min": 15,
        "awakenings": 1,
        "waso_min": 10,
        "final_wake": "06:30",
        "out_of_bed": "06:45",
    },
}


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _html_routes() -> list[tuple[str, URLPattern]]:
    return [
        (route, p)
        for route, p in _walk(get_resolver().url_patterns)
        if not route.startswith("api/")
    ]


def _kwargs(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _url(route: str, values: dict[str, Any]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def test_it_requires_every_view_to_declare_its_access():
    unmarked = [
        route
        for route, pattern in _html_routes()
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
        for route, _ in _html_routes()
        for kwarg in _kwargs(route)
        if kwarg not in OBJECT_FACTORIES and kwarg not in NON_OBJECT_KWARGS
    }
    assert unknown == set(), f"add factories for {unknown}"


def _protected_routes() -> list[tuple[str, str]]:
    return [
        (route, pattern.callback.touchstone_permission)
        for route, pattern in _html_routes()
        if getattr(pattern.callback, "touchstone_permission", None)
    ]


def _objects(clinic: Clinic, route: str) -> dict[str, Any]:
    return {
        kwarg: NON_OBJECT_KWARGS.get(kwarg) or OBJECT_FACTORIES[kwarg](clinic)
        for kwarg in _kwargs(route)
    }


@pytest.mark.parametrize("role", [*Role, "outsider"])
def test_it_keeps_other_clinics_objects_out_of_reach_in_every_view(cast: Cast, role: str):
    member = cast.charlie if role == "outsider" else cast.by_role()[role]
    victim = cast.harbour if role == "outsider" else cast.northside
    http = cast.browser_for(member)
    failures = []
    for route, pattern in _html_routes():
        if not any(k in OBJECT_FACTORIES for k in _kwargs(route)):
            continue
        # Public views too: a view marked public must still never show another clinic's rows.
        permission = getattr(pattern.callback, "touchstone_permission", None)
        url = _url(route, _objects(victim, route))
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
    for route, permission in _protected_routes():
        url = _url(route, _objects(cast.harbour, route))
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
    from django.test import Client as HttpClient

    http = HttpClient()
    for route, _ in _protected_routes():
        response = http.get(_url(route, _objects(cast.harbour, route)))
        assert response.status_code == 302, route
        assert response["Location"].startswith("/accounts/login/"), route


def _api_operations() -> Iterator[tuple[str, str, Any]]:
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield (
                        method,
                        f"/api/v1/{prefix}/{path}".replace("//", "/").replace("//", "/"),
                        operation,
                    )


def _api_call(http: Any, method: str, url: str, operation: Any, token: str) -> int:
    body_schemas = [
        field.annotation.__name__
        for model in operation.models
        if model.__name__ == "BodyParams"
        for field in model.model_fields.values()
    ]
    body = EXAMPLE_BODIES[body_schemas[0]] if body_schemas else {}
    return getattr(http, method.lower())(
        url, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    ).status_code


@pytest.mark.parametrize("role", [*Role, "outsider"])
def test_it_keeps_other_clinics_objects_out_of_reach_in_the_api(cast: Cast, role: str):
    from django.test import Client as HttpClient

    member = cast.charlie if role == "outsider" else cast.by_role()[role]
    victim = cast.harbour if role == "outsider" else cast.northside
    _, token = do_create_token(actor_of(member), "matrix")
    http = HttpClient()
    failures = []
    for method, route, operation in _api_operations():
        permission = operation.view_func.touchstone_permission
        kwargs = re.findall(r"{(\w+)}", route)
        url = re.sub(r"{(\w+)}", lambda m: str(OBJECT_FACTORIES[m.group(1)](victim)), route)
        status = _api_call(http, method, url, operation, token)
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
    from django.test import Client as HttpClient

    http = HttpClient()
    for method, route, _ in _api_operations():
        url = re.sub(r"{(\w+)}", "1", route)
        response = getattr(http, method.lower())(url, HTTP_AUTHORIZATION="Bearer ts_nope_nope")
        assert response.status_code == 401, f"{method} {url}"
        assert response.json()["error"]["code"] == "unauthenticated"
