"""``null`` in every field of every API body: a 422 where the record cannot leave the field
empty, never a 500 (issue 11 §3: ``PATCH /clients/{id}`` with ``{"phone": null}`` failed at
the database, and the database's error quoted the client's row into the server log).

Generated from the API's routers and the route matrix's example bodies, so a new write
operation or field is checked without being listed here.
"""

from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils.module_loading import import_string

from touchstone.accounts.actions import do_create_token
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.logs import Formatter
from touchstone.tests import matrix

pytestmark = pytest.mark.django_db


def _body_cases() -> list[tuple[str, str, str, str, bool]]:
    """(method, route, schema, field, nullable) for every field of every body."""
    cases = []
    for method, route, operation in matrix.api_operations():
        for model in operation.models:
            if model.__name__ != "BodyParams":
                continue
            for body_field in model.model_fields.values():
                schema = body_field.annotation
                if schema.__name__ not in matrix.EXAMPLE_BODIES:
                    continue
                properties = schema.model_json_schema()["properties"]
                for name, spec in properties.items():
                    nullable = any(o.get("type") == "null" for o in spec.get("anyOf", []))
                    cases.append((method, route, schema.__name__, name, nullable))
    return cases


CASES = _body_cases()


def test_it_checks_every_patch_schema():
    assert {"ClientPatch", "EpisodePatch", "VisitPatch"} <= {c[2] for c in CASES}


@pytest.mark.parametrize(("method", "route", "schema", "field", "nullable"), CASES)
def test_null_is_refused_or_stored_never_a_server_error(
    cast: Cast, method: str, route: str, schema: str, field: str, nullable: bool
):
    _, token = do_create_token(actor_of(cast.bob), "nulls")
    url = matrix.api_url(route, cast.harbour)
    example = matrix.EXAMPLE_BODIES[schema]
    body = {**(example(cast.harbour) if callable(example) else example), field: None}
    http = HttpClient(raise_request_exception=False)
    response = getattr(http, method.lower())(
        url, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if not nullable:
        assert response.status_code == 422
        assert field in response.json()["error"]["fields"]


def test_a_client_patch_with_a_null_phone_is_a_422_and_changes_nothing(cast: Cast):
    """On PostgreSQL this was a 500 whose log line quoted the client's row; the server's
    log (production's handler, its filters and JSON format) now holds no client data."""
    client = make_client(cast.harbour, given_name="Ottilie", phone="617-555-0199")
    _, token = do_create_token(actor_of(cast.bob), "nulls")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(Formatter("json"))
    for name in settings.LOGGING["handlers"]["stdout"]["filters"]:
        handler.addFilter(import_string(settings.LOGGING["filters"][name]["()"])())
    logging.getLogger().addHandler(handler)
    try:
        response = HttpClient(raise_request_exception=False).patch(
            f"/api/v1/clients/{client.pk}",
            data={"phone": None, "city": "Boston"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    finally:
        logging.getLogger().removeHandler(handler)
    log = stream.getvalue()
    assert "request_finished" in log
    assert "Ottilie" not in log and "617-555-0199" not in log and "Failing row" not in log
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"phone": ["Input should be a valid string"]}
    client.refresh_from_db()
    assert (client.phone, client.city) == ("617-555-0199", "")
