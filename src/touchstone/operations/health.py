"""The health check, ``GET /healthz``: answered before Django checks the Host header.

A load balancer or uptime monitor probes the application server directly
(``http://127.0.0.1:8001/healthz``), with its own address as the Host; production's
``ALLOWED_HOSTS`` names only the public host, so the URL-routed check answered 400 and logged
an error-level ``DisallowedHost`` line on every probe. :class:`HealthCheckMiddleware` answers
exactly ``GET``/``HEAD /healthz`` without reading the Host (the answer names no host and no
URL, so a forged one cannot poison it); every other path and method still goes through
Django's host validation.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils.cache import add_never_cache_headers

from touchstone.operations.models import Heartbeat

PATH = "/healthz"


def health() -> JsonResponse:
    """200 when the database commits a write transaction, 503 otherwise (never cached)."""
    try:
        Heartbeat.beat()
    except DatabaseError:
        response = JsonResponse({"status": "unavailable", "database": "error"}, status=503)
    else:
        response = JsonResponse({"status": "ok", "database": "ok"})
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    """Put it right after ``SecurityMiddleware`` (whose headers it keeps; the path is in
    ``SECURE_REDIRECT_EXEMPT`` so plain HTTP is not redirected) and before anything that reads
    the Host, the session or the user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return health()
        return self.get_response(request)
