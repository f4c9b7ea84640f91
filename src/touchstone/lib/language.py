"""The language of what a client reads (docs/languages.md).

Staff pages are in the site's language (``settings.LANGUAGE_CODE``). A client's pages,
e-mails and text messages are in the client's stored preferred language; a portal page the
client opens may also be switched with ``?lang=xx`` (kept in Django's language cookie), and a
page that knows no client (a link that no longer works) follows that cookie or the
browser's Accept-Language, as ``LocaleMiddleware`` would. The languages offered are
``settings.LANGUAGES``: adding one is a catalogue and a settings entry, no code.

This is the one place that reads ``Client.preferred_language``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

#: The query parameter of the language switch on portal pages.
QUERY = "lang"


def supported(code: str | None) -> str | None:
    """``code`` as one of ``settings.LANGUAGES`` (``es-MX`` → ``es``), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def client_language(client: Any) -> str:
    """The language a client reads: their stored preference when it is offered, else the
    site's language."""
    # getattr: the field arrives with the clients migration of issue 15 (instrument texts).
    stored = getattr(client, "preferred_language", None)
    return supported(stored) or supported(settings.LANGUAGE_CODE) or settings.LANGUAGE_CODE


@contextmanager
def override_for_client(client: Any) -> Iterator[str]:
    """Render what is sent to ``client`` (an e-mail, a text message) in their language."""
    language = client_language(client)
    with translation.override(language):
        yield language


def chosen_language(request: HttpRequest) -> str | None:
    """The language the visitor picked with the switch (``?lang=``, then the cookie)."""
    return supported(request.GET.get(QUERY)) or supported(
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    )


def activate_for_client(request: HttpRequest, client: Any | None) -> str:
    """Activate the language of a client-facing page for the rest of the request: the
    visitor's own choice on this device, else the client's stored preference, else (no
    client known) the browser's Accept-Language. Returns the language activated."""
    language = chosen_language(request)
    if language is None and client is not None:
        language = client_language(client)
    if language is None:
        language = translation.get_language_from_request(request)
    translation.activate(language)
    request.client_language = language  # type: ignore[attr-defined]
    return language


class LanguageMiddleware:
    """Every request starts in the site's language (staff pages stay in it, whatever the
    browser asks); a client-facing view switches with ``activate_for_client``. Afterwards:
    the response says its language, a ``?lang=`` choice is remembered in the language
    cookie, and the thread goes back to the site's language for whatever it serves next."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        translation.activate(settings.LANGUAGE_CODE)
        try:
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language())
            if not hasattr(request, "client_language"):
                return response
            # A client's page depends on the switch's cookie and, without a client, the browser.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            picked = supported(request.GET.get(QUERY))
            if picked and getattr(request, "client_language", None) == picked:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    picked,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    path=settings.LANGUAGE_COOKIE_PATH,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                )
            return response
        finally:
            translation.activate(settings.LANGUAGE_CODE)


def switch_links(request: HttpRequest) -> list[dict[str, Any]]:
    """The language switch of a client's page: each offered language with the current URL
    and ``?lang=`` set, the active one marked."""
    current = translation.get_language()
    links = []
    for code, name in settings.LANGUAGES:
        query = request.GET.copy()
        query[QUERY] = code
        links.append(
            {
                "code": code,
                "name": name,
                "url": f"{request.path}?{query.urlencode()}",
                "active": supported(current) == code,
            }
        )
    return links


def switch(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``language_switch`` on the pages a client-facing view activated a
    language for (``activate_for_client``), nothing on staff pages. Not on the answer to a
    POST (a thanks page): its URL with ``?lang=`` would reopen a link already used."""
    if not hasattr(request, "client_language") or request.method != "GET":
        return {}
    return {"language_switch": switch_links(request)}
