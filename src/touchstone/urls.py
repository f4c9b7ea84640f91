"""The URL tree. Every app is included once at the root and names its own prefix; every
page about one client hangs under /clients/<id>/ (``lib.urls.client_scoped``)."""

from django.urls import include, path

from touchstone import views
from touchstone.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("touchstone.accounts.urls")),
    path("", include("touchstone.record.urls")),
    path("", include("touchstone.clients.urls")),
    path("", include("touchstone.care.urls")),
    path("", include("touchstone.scheduling.urls")),
    path("", include("touchstone.billing.urls")),
    path("", include("touchstone.claims.urls")),
    path("", include("touchstone.measures.urls")),
    path("", include("touchstone.physiology.urls")),
    path("outcomes/", include("touchstone.outcomes.urls")),
    path("evidence/", include("touchstone.evidence.urls")),
    path("trials/", include("touchstone.trials.urls")),
    path("", include("touchstone.reports.urls")),
    path("", include("touchstone.interop.urls")),
    path("", include("touchstone.portal.urls")),
    path("", include("touchstone.messaging.urls")),
    path("jobs/", include("touchstone.jobs.urls")),
    path("api/v1/", api.urls),
]

handler403 = "touchstone.errors.forbidden"
handler404 = "touchstone.errors.not_found"
handler500 = "touchstone.errors.server_error"
