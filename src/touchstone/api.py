"""The JSON API at /api/v1/ (django-ninja: typed schemas give validation and the
OpenAPI document from one declaration; see docs/architecture.md).

This module only assembles: the API object with its token authentication
(``accounts.api_auth``) and one error shape (``lib.api_errors``), and every app's router.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger

from touchstone.accounts.access import requires
from touchstone.accounts.api_auth import TokenAuth
from touchstone.billing.api import router as billing_router
from touchstone.care.api import router as care_router
from touchstone.clients.api import router as clients_router
from touchstone.errors import audit_refusal
from touchstone.interop.api import router as interop_router
from touchstone.lib import api_errors
from touchstone.lib.api_times import ClinicTimeRenderer
from touchstone.lib.json_limits import BoundedParser
from touchstone.measures.api import router as measures_router
from touchstone.physiology.api import router as physiology_router
from touchstone.reports.api import router as reports_router
from touchstone.scheduling.api import router as scheduling_router


class StaffSwagger(Swagger):
    """Swagger UI for signed-in staff (anonymous: the sign-in page), from the copy that
    django-ninja ships in its static folder ("ninja" in INSTALLED_APPS), so nothing comes from
    a CDN and the page runs under the Content-Security-Policy. The OpenAPI document itself
    (/api/v1/openapi.json) stays readable without a session, e.g. by token users' tools."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        page = super().render_page

        @requires("account.self")
        def docs(request: HttpRequest) -> HttpResponse:
            return page(request, api, **kwargs)

        return docs(request)  # type: ignore[return-value]


api = api_errors.DocumentedAPI(
    title="Touchstone API",
    version="1",
    description="Clinical data of one clinic, reached with a personal API token.",
    auth=TokenAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # No validator badge: Swagger UI would fetch it from validator.swagger.io.
    docs=StaffSwagger(settings={"validatorUrl": None}),
    renderer=ClinicTimeRenderer(),
    parser=BoundedParser(),
)
api_errors.install(api, on_refused=audit_refusal)

api.add_router("/clients", clients_router)
api.add_router("/care", care_router)
api.add_router("/physiology", physiology_router)
api.add_router("/reports", reports_router)
api.add_router("/interop", interop_router)
api.add_router("/", measures_router)
api.add_router("/", scheduling_router)
api.add_router("/", billing_router)
