"""Request logging: django-structlog's middleware with routes instead of URLs.

``request_finished`` (and ``request_failed`` for an exception) carry the method and the URL
*pattern* that matched (``GET /clients/<int:client_id>/``), never the path or query string:
paths hold portal tokens and query strings hold search words such as a client's name. The
client's address and user agent are not logged (the gunicorn access log has the address).
"""

from __future__ import annotations

import time
from typing import Any

from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django_structlog import signals
from django_structlog.middlewares import RequestMiddleware

from touchstone.logs import duration_ms

_STARTED = "_touchstone_log_started"


def route_of(request: HttpRequest) -> str:
    """``METHOD /pattern/`` of the URL pattern the request matches, or ``(no route)``."""
    match = request.resolver_match
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return f"{request.method} (no route)"
    return f"{request.method} /{match.route}"


class RequestLogMiddleware(RequestMiddleware):
    """Binds ``request_id`` and ``actor_id`` for the request's lines; logs its end."""

    @staticmethod
    def format_request(request: HttpRequest) -> str:
        return route_of(request)


@receiver(signals.bind_extra_request_metadata)
def _started(request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    log_kwargs.pop("user_agent", None)
    setattr(request, _STARTED, time.perf_counter())


@receiver(signals.bind_extra_request_finished_metadata)
def _finished(request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    started = getattr(request, _STARTED, None)
    if started is not None:
        log_kwargs["duration_ms"] = duration_ms(started)


@receiver(signals.bind_extra_request_failed_metadata)
def _failed(request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    _finished(request, log_kwargs)
