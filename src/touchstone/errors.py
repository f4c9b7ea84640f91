"""Error pages that say what happened without leaking why, and the audit event a refusal
leaves.

Staff read them in the site's language, in the staff layout. A client (a page a client-facing
view switched to the client's language, or any visitor who is not signed in: staff pages send
those to sign in) reads them in their own language (``lib.language``), in the client layout,
with the crisis line: someone in crisis may be behind a link that failed.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext_lazy as _

from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.lib.language import activate_for_client

#: What a client reads, by status: the heading and one sentence.
CLIENT_PAGES = {
    403: (
        _("This page is not available"),
        _("This page cannot be shown to you. Please ask your clinic for help."),
    ),
    404: (
        _("Page not found"),
        _(
            "There is nothing at this address. If your clinic sent you a link, please ask them "
            "for a new one."
        ),
    ),
    500: (
        _("Something went wrong"),
        _(
            "Nothing you did caused this. Please try again in a few minutes, or contact your "
            "clinic."
        ),
    ),
}


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


def for_client(request: HttpRequest) -> bool:
    """Whether an error answers a client rather than staff; a visitor who is not signed in gets
    their own language from here on (their ``?lang=`` choice, then the browser's)."""
    if hasattr(request, "client_language"):  # a client-facing view chose the language
        return True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    activate_for_client(request, None)
    return True


def _client_page(request: HttpRequest | None, status: int) -> str:
    heading, message = CLIENT_PAGES[status]
    context = {"heading": heading, "message": message}
    return loader.render_to_string("errors/client.html", context, request=request)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    audit_refusal(request, 403)
    if for_client(request):
        return HttpResponse(_client_page(request, 403), status=403)
    return render(request, "errors/403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    audit_refusal(request, 404)
    if for_client(request):
        return HttpResponse(_client_page(request, 404), status=404)
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """A 500, rendered without the request (no context processors, no database: whatever
    failed may fail again), in the language the failed page was in."""
    if for_client(request):
        return HttpResponseServerError(_client_page(None, 500))
    return HttpResponseServerError(loader.render_to_string("errors/500.html"))
