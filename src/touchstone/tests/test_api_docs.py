"""/api/v1/docs: Swagger UI from our own static files, for signed-in staff only."""

from __future__ import annotations

import re

from django.test import Client as HttpClient

from touchstone.accounts.actions import do_create_token
from touchstone.conftest import Cast, actor_of


def test_the_docs_page_loads_under_the_csp_with_no_external_url(cast: Cast, as_alice: HttpClient):
    response = as_alice.get("/api/v1/docs")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    html = response.content.decode()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), "an external URL"
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    assert "<script>" not in html  # no inline script for the CSP to block
    for src in scripts:
        assert HttpClient().get(src).status_code == 200  # served, not only named
    assert '"validatorUrl": null' in html


def test_anonymous_visitors_are_sent_to_sign_in(db: object):
    response = HttpClient().get("/api/v1/docs")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_openapi_document_stays_readable_by_token_users(cast: Cast):
    _, secret = do_create_token(actor_of(cast.tess), "script")
    response = HttpClient().get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and response.json()["info"]["title"] == "Touchstone API"
