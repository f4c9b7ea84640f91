from django.urls import include, path

from touchstone import views
from touchstone.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("touchstone.accounts.urls")),
    path("clients/", include("touchstone.clients.urls")),
    path("care/", include("touchstone.care.urls")),
    path("measures/", include("touchstone.measures.urls")),
    path("physiology/", include("touchstone.physiology.urls")),
    path("outcomes/", include("touchstone.outcomes.urls")),
    path("evidence/", include("touchstone.evidence.urls")),
    path("reports/", include("touchstone.reports.urls")),
    path("interop/", include("touchstone.interop.urls")),
    path("", include("touchstone.portal.urls")),
    path("audit/", include("touchstone.audit.urls")),
    path("api/v1/", api.urls),
]

handler403 = "touchstone.errors.forbidden"
handler404 = "touchstone.errors.not_found"
