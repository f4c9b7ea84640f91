"""HTTP helpers every app's views and API operations share."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def client_address(request: HttpRequest | None) -> str | None:
    """The caller's address, for the audit log.

    Behind a reverse proxy (``TRUST_X_FORWARDED_FOR``), the last address in
    X-Forwarded-For: the one our own proxy appended, which a client cannot forge.
    """
    if request is None:
        return None
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR") or None


def download(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    """A file to save (PDF, FHIR Bundle, zip): never cached, since it holds client data."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
