from django.urls import path

from touchstone.reports import views

app_name = "reports"
urlpatterns = [
    path("clients/<int:client_id>/progress/", views.progress, name="progress"),
    path("clients/<int:client_id>/progress.pdf", views.progress_pdf, name="progress_pdf"),
    path("clients/<int:client_id>/superbill/", views.superbill, name="superbill"),
    path("clients/<int:client_id>/superbill.pdf", views.superbill_pdf, name="superbill_pdf"),
    path("clients/<int:client_id>/healthcare-use/", views.healthcare_use, name="healthcare_use"),
    path("payer/", views.payer, name="payer"),
    path("payer.pdf", views.payer_pdf, name="payer_pdf"),
]
