"""Error pages that say what happened without leaking why, and the audit event a refusal
leaves."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from touchstone.audit.log import record
from touchstone.audit.models import Action


def audit_refusal(request: HttpRequest, status: int) -> None:
    """Record that a signed-in user (or a token's holder) was refused: 403 (their role) or 404
    (nothing there, or another clinic's). The event names the route and the id asked for,
    never the path or query string (a search term may be a name).

    Django calls the error handlers after ``ATOMIC_REQUESTS`` rolled the view's transaction
    back, and django-ninja answers inside a view that then commits, so the event is written
    in a transaction of its own that nothing rolls back."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or connection.needs_rollback:
        return
    match = getattr(request, "resolver_match", None)
    route = match.view_name if match else "unresolved"
    kwargs: dict[str, Any] = dict(match.kwargs) if match else {}
    object_id = next((v for k, v in sorted(kwargs.items()) if k.endswith("id")), "")
    record(
        request.actor,  # type: ignore[attr-defined]
        Action.DENIED,
        object_type="http.route",
        object_id=str(object_id)[:64],
        detail=f"{status} {route}"[:300],
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    audit_refusal(request, 403)
    return render(request, "errors/403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    audit_refusal(request, 404)
    return render(request, "errors/404.html", status=404)
