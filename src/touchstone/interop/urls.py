from django.urls import path

from touchstone.interop import views

app_name = "interop"
urlpatterns = [
    path("clients/<int:client_id>/fhir.json", views.fhir_export, name="fhir_export"),
    path("clients/<int:client_id>/fhir-import/", views.fhir_import, name="fhir_import"),
    path("research/", views.research, name="research"),
    path("research/export.zip", views.research_download, name="research_download"),
]
