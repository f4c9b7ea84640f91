"""Error pages a client reads are in the client's language (issue 15 §3, docs/languages.md):
a link that no longer works, a page not found, refused or failed under a client's page, with
the crisis line; staff keep the English staff pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.utils import timezone

from touchstone import errors
from touchstone.conftest import Cast, make_client
from touchstone.portal.models import PortalLink
from touchstone.portal.tests.test_booking import clinic, link_for  # noqa: F401  (fixture)

SPANISH_404 = "Página no encontrada"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _spanish_link(cast: Cast, **fields) -> PortalLink:
    link, _ = link_for(cast, make_client(cast.harbour, preferred_language="es"), **fields)
    return link


@pytest.mark.parametrize("expired", ["used", "expired", "revoked"])
def test_a_spanish_clients_link_that_no_longer_works_says_so_in_spanish(cast: Cast, expired):
    link = _spanish_link(cast, purpose="questionnaires")
    past = timezone.now() - dt.timedelta(minutes=1)
    field = {"used": "used_at", "expired": "expires_at", "revoked": "revoked_at"}[expired]
    PortalLink.objects.filter(pk=link.pk).update(**{field: past})
    response = HttpClient().get(f"/p/{link.token}/", **ENGLISH)  # an English browser
    page = response.content.decode()
    assert response.status_code == 404 and '<html lang="es">' in page
    assert "Este enlace no está disponible" in page and "988" in page


def test_a_link_touchstone_never_signed_follows_the_visitors_choice(db):
    english = HttpClient().get("/p/not-a-token/", **ENGLISH).content.decode()
    spanish = HttpClient().get("/p/not-a-token/?lang=es", **ENGLISH).content.decode()
    assert '<html lang="en">' in english and "This link is not available" in english
    assert '<html lang="es">' in spanish and "Este enlace no está disponible" in spanish


def test_a_page_not_found_under_a_spanish_clients_booking_link_is_spanish(
    clinic: Cast,  # noqa: F811
):
    link = _spanish_link(clinic)
    response = HttpClient().get(f"/p/{link.token}/book/999999/move/", **ENGLISH)
    page = response.content.decode()
    assert response.status_code == 404 and '<html lang="es">' in page
    assert SPANISH_404 in page and "Not found" not in page
    assert 'class="minimal"' in page  # the client layout, not the staff one


def test_a_visitor_not_signed_in_reads_a_404_in_their_language(db):
    response = HttpClient().get("/no-such-page/?lang=es", **ENGLISH)
    page = response.content.decode()
    assert response.status_code == 404 and '<html lang="es">' in page and SPANISH_404 in page
    browser = HttpClient().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert SPANISH_404 in browser
    assert "Page not found" in HttpClient().get("/no-such-page/", **ENGLISH).content.decode()


def test_staff_keep_the_english_staff_pages_whatever_the_browser_asks(cast: Cast):
    response = cast.browser_for(cast.tess).get("/no-such-page/?lang=es", HTTP_ACCEPT_LANGUAGE="es")
    page = response.content.decode()
    assert response.status_code == 404 and '<html lang="en">' in page
    assert "There is nothing here, or it belongs to another clinic." in page


def test_a_refusal_a_client_meets_is_in_their_language(db):
    request = RequestFactory().get("/p/x/?lang=es")
    response = errors.forbidden(request)
    page = response.content.decode()
    assert response.status_code == 403 and '<html lang="es">' in page
    assert "Esta página no está disponible" in page


def test_a_server_error_on_a_spanish_clients_page_is_spanish(cast: Cast, monkeypatch):
    link = _spanish_link(cast, purpose="questionnaires")

    def fail(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr("touchstone.portal.views.do_open_portal_link", fail)
    response = HttpClient(raise_request_exception=False).get(f"/p/{link.token}/", **ENGLISH)
    page = response.content.decode()
    assert response.status_code == 500 and '<html lang="es">' in page
    assert "Algo salió mal" in page and "a defect" not in page

    monkeypatch.setattr("touchstone.measures.instrument_views.all_instruments", fail)
    staff = cast.browser_for(cast.alice)
    staff.raise_request_exception = False
    failed = staff.get("/measures/instruments/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="en">' in failed and "Server error" in failed
