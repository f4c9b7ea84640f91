from typing import Any

from django.test import RequestFactory

from touchstone.lib.http import client_address, download


def test_it_takes_the_socket_address_by_default(settings: Any):
    settings.TRUST_X_FORWARDED_FOR = False
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_address(request) == "10.0.0.7"


def test_it_takes_the_address_our_proxy_appended_behind_a_proxy(settings: Any):
    settings.TRUST_X_FORWARDED_FOR = True
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert client_address(request) == "203.0.113.9"


def test_it_has_no_address_without_a_request():
    assert client_address(None) is None


def test_it_offers_a_download_that_is_never_cached():
    response = download(b"%PDF-1.7", "application/pdf", "progress-1-2.pdf")
    assert response["Content-Disposition"] == 'attachment; filename="progress-1-2.pdf"'
    assert response["Cache-Control"] == "no-store"
    assert response.content == b"%PDF-1.7"
