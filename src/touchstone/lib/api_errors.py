"""One error shape for the whole JSON API::

    {"error": {"code": "validation_error", "message": "...", "fields": {"name": ["..."]}}}

``install(api)`` maps every exception an operation may raise to that shape: schema and model
validation (422), missing or another clinic's object (404), a role without the permission
(403), no valid token (401), a conflict with stored data (409, ``ApiConflict``), a body
over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413, instead of Django's HTML 400) and ``HttpError`` (its
own status).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from touchstone.lib.json_limits import TooDeep


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    """The one error shape, for operations that answer an error themselves (e.g. 409)."""

    error: ErrorDetail


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class ApiConflict(Exception):
    """409: the request collides with stored data (a taken appointment time). The body is the
    usual shape with ``code`` "conflict" and ``conflicting``: the ids of the rows in the way."""

    def __init__(
        self,
        message: str,
        fields: dict[str, list[str]] | None = None,
        conflicting: Sequence[int] = (),
    ) -> None:
        super().__init__(message)
        self.message, self.fields, self.conflicting = message, fields or {}, list(conflicting)


#: The error shape as an OpenAPI component.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
#: Every operation may answer these (``install`` gives them the one shape).
ERRORS = {
    "400": "The request body is not JSON.",
    "401": "No valid token.",
    "403": "The token's role does not allow this.",
    "404": "Not found, or another clinic's.",
    "422": "The request is not valid; ``fields`` says why, field by field.",
}
#: ... and operations with a body, this one.
BODY_ERRORS = {"413": "The request body is too large."}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses to every operation of an OpenAPI document, so the document
    says what a client may receive (and schemathesis can hold the API to it)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = {**ERRORS, **(BODY_ERRORS if "requestBody" in operation else {})}
            for code, description in codes.items():
                operation["responses"].setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return schema


class DocumentedAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document lists the error responses of every operation."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return document_errors(super().get_openapi_schema(*args, **kwargs))


def install(api: NinjaAPI, on_refused: Callable[[HttpRequest, int], None] | None = None) -> None:
    """Register the handlers that give every error of ``api`` the one shape; ``on_refused``
    is called for every 403 and 404 (the edge passes the audit's recorder)."""

    def reply(
        request: HttpRequest,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
    ) -> HttpResponse:
        return api.create_response(request, error_body(code, message, fields), status=status)

    @api.exception_handler(NinjaValidationError)
    def invalid_schema(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for item in exc.errors:
            location = [
                str(part) for part in item.get("loc", ()) if part not in ("body", "payload")
            ]
            fields.setdefault(".".join(location) or "__all__", []).append(
                item.get("msg", "invalid")
            )
        return reply(request, 422, "validation_error", "The request is not valid.", fields)

    @api.exception_handler(DjangoValidationError)
    def invalid_model(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return reply(request, 422, "validation_error", "The request is not valid.", fields)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        if on_refused:
            on_refused(request, 404)
        return reply(request, 404, "not_found", "Not found.")

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        if on_refused:
            on_refused(request, 403)
        return reply(request, 403, "forbidden", "Your role does not allow this.")

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return reply(request, 401, "unauthenticated", "Send a valid token: Authorization: Bearer …")

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return reply(
            request, 413, "payload_too_large",
            f"The request body is larger than {limit // 1024} KB.",
        )  # fmt: skip

    @api.exception_handler(ApiConflict)
    def conflict(request: HttpRequest, exc: ApiConflict) -> HttpResponse:
        body = error_body("conflict", exc.message, exc.fields)
        body["error"]["conflicting"] = exc.conflicting
        return api.create_response(request, body, status=409)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, TooDeep):  # ninja's "Cannot parse request body", and why
            return reply(request, exc.status_code, "error", str(exc.__cause__))
        return reply(request, exc.status_code, "error", str(exc))
