"""One transaction per request that may write, none for a read.

Django's ``ATOMIC_REQUESTS`` wraps every view in a transaction, reads included; on SQLite
(``transaction_mode: IMMEDIATE``) each one then opened ``BEGIN IMMEDIATE`` and held the
database's only write lock for the whole request, so a long import made every other page fail
with "database is locked". :class:`AtomicWritesMiddleware` keeps what ``ATOMIC_REQUESTS``
protected, for the requests that may write: a POST, PUT, PATCH or DELETE view runs in one
transaction (all of its actions commit together or not at all), unless the view is marked
``@transaction.non_atomic_requests`` (a long import that opens its own short transactions).
GET, HEAD and OPTIONS run in autocommit: a read takes no write lock, and the audit event it
records is committed by itself at once, whatever happens later in the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import HttpRequest, HttpResponseBase

READS = frozenset({"GET", "HEAD", "OPTIONS"})


class AtomicWritesMiddleware:
    """Put it last in ``MIDDLEWARE`` (its ``process_view`` runs the view; CSRF and the other
    middleware's checks come first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponseBase],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if request.method in READS:
            return None
        if DEFAULT_DB_ALIAS in getattr(view, "_non_atomic_requests", set()):
            return None
        with transaction.atomic():
            return view(request, *args, **kwargs)
