"""Schemathesis over the whole JSON API (issue 11 §3): every operation of
``/api/v1/openapi.json`` gets generated requests, valid and invalid, and the run fails on any
5xx or on a response that contradicts the document (status code, content type, body schema).

Deterministic (Hypothesis ``derandomize``) and bounded (``EXAMPLES`` per operation), so it runs
in the suite on SQLite and PostgreSQL. Path ids are mapped half of the time onto rows of the
caller's clinic, so the operations' success paths are exercised too, not only their 404s.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from touchstone.accounts.actions import do_create_token
from touchstone.api import api
from touchstone.conftest import Cast, actor_of
from touchstone.tests import matrix
from touchstone.wsgi import application

EXAMPLES = 12
#: What a run holds the API to: no 5xx, and responses as the document describes them
#: (status code, content type, headers, body schema). Not checked: "schema-valid request
#: rejected" (a valid-looking body can still break a rule the schema does not express, such as
#: a blank title or another clinic's id: 422/404 are the right answers) and "schema-violating
#: request accepted" (unknown query parameters are ignored, as by most APIs).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
# The document as /api/v1/openapi.json serves it, built without a request (collection has no
# database); requests then go through the WSGI application, as from_wsgi would send them.
schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
)
schema.app = application
schema.location = "/api/v1/openapi.json"
#: path parameter -> an id of a row in the caller's clinic (filled per test).
REAL_IDS: dict[str, int] = {}


@schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters:
        return path_parameters
    return {
        name: REAL_IDS[name]
        if name in REAL_IDS and isinstance(value, int) and value % 2 == 0
        else value
        for name, value in path_parameters.items()
    }


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Any:
    """Calling the WSGI application directly (not through Django's test client) fires
    ``request_finished``, whose ``close_old_connections`` closes a connection that is inside the
    test's transaction (autocommit differs from the setting) -- on PostgreSQL that closes the
    connection for the rest of the test; an in-memory SQLite database is never closed. Django's
    test client disconnects the same receivers for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(cast: Cast) -> str:
    for name, factory in matrix.OBJECT_FACTORIES.items():
        if name in ("staff_id", "token_id", "study_id", "synthesis_id", "link_id"):
            continue
        REAL_IDS[name] = int(factory(cast.harbour))
    return do_create_token(actor_of(cast.bob), "fuzz")[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_request_as_documented(case: Any, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
