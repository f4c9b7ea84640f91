from django.urls import path

from touchstone.interop import views
from touchstone.lib.urls import client_scoped

app_name = "interop"
urlpatterns = [
    *client_scoped(
        [
            path("fhir.json", views.fhir_export, name="fhir_export"),
            path("fhir-import/", views.fhir_import, name="fhir_import"),
        ]
    ),
    path("interop/research/", views.research, name="research"),
    path("interop/research/export.zip", views.research_download, name="research_download"),
]
