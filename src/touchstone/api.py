"""The JSON API at /api/v1/ (django-ninja: typed schemas give validation and the
OpenAPI document from one declaration; see docs/architecture.md).

Every operation authenticates with a personal bearer token, names its permission
with ``api_requires`` and reaches tenant-owned rows only through ``get_for`` /
``for_member`` — the same mechanism as the HTML views. Every error has one shape::

    {"error": {"code": "validation_error", "message": "...", "fields": {"name": ["..."]}}}
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from touchstone.accounts.models import ApiToken, StaffMember, hash_token
from touchstone.accounts.roles import PERMISSIONS
from touchstone.logs import bind_clinic


class TokenAuth(HttpBearer):
    """``Authorization: Bearer ts_…``: a personal token of an active staff member."""

    def authenticate(self, request: HttpRequest, token: str) -> StaffMember | None:
        row = (
            ApiToken.objects.active()
            .select_related("user__staff_member__clinic")
            .filter(key_hash=hash_token(token))
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        member = getattr(row.user, "staff_member", None)
        if member is None or not member.is_active:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        request.member = member  # type: ignore[attr-defined]
        request.audit_channel = "api"  # type: ignore[attr-defined]
        bind_clinic(member.clinic_id)  # the request's later log lines name the tenant
        return member


api = NinjaAPI(
    title="Touchstone API",
    version="1",
    description="Clinical data of one clinic, reached with a personal API token.",
    auth=TokenAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _reply(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    return api.create_response(request, error_body(code, message, fields), status=status)


@api.exception_handler(NinjaValidationError)
def _invalid_schema(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "payload")]
        fields.setdefault(".".join(location) or "__all__", []).append(item.get("msg", "invalid"))
    return _reply(request, 422, "validation_error", "The request is not valid.", fields)


@api.exception_handler(DjangoValidationError)
def _invalid_model(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return _reply(request, 422, "validation_error", "The request is not valid.", fields)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _reply(request, 404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _reply(request, 403, "forbidden", "Your role does not allow this.")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _reply(request, 401, "unauthenticated", "Send a valid token: Authorization: Bearer …")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _reply(request, exc.status_code, "error", str(exc))


def api_requires(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The API twin of ``accounts.access.requires``: the role must hold ``permission``."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorator(operation: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(operation)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            member = getattr(request, "member", None)
            if not member or not member.can(permission):
                raise PermissionDenied
            return operation(request, *args, **kwargs)

        wrapped.touchstone_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _register_routers() -> None:
    from touchstone.clients.api import router as clients_router
    from touchstone.measures.api import router as measures_router

    api.add_router("/clients", clients_router)

    from touchstone.care.api import router as care_router

    api.add_router("/care", care_router)

    from touchstone.physiology.api import router as physiology_router

    api.add_router("/physiology", physiology_router)

    from touchstone.interop.api import router as interop_router
    from touchstone.reports.api import router as reports_router

    api.add_router("/reports", reports_router)
    api.add_router("/interop", interop_router)
    api.add_router("/", measures_router)


_register_routers()
