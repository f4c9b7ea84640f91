from django.urls import path

from touchstone.lib.urls import client_scoped
from touchstone.reports import views

app_name = "reports"
urlpatterns = [
    *client_scoped(
        [
            path("reports/progress/", views.progress, name="progress"),
            path("reports/progress.pdf", views.progress_pdf, name="progress_pdf"),
            path("reports/superbill/", views.superbill, name="superbill"),
            path("reports/superbill.pdf", views.superbill_pdf, name="superbill_pdf"),
            path("healthcare-use/", views.healthcare_use, name="healthcare_use"),
        ]
    ),
    path("billing/entries/<int:entry_id>/receipt.pdf", views.receipt_pdf, name="receipt"),
    path("reports/payer/", views.payer, name="payer"),
    path("reports/payer.pdf", views.payer_pdf, name="payer_pdf"),
    path("reports/studies/<int:controlled_study_id>.pdf", views.study_pdf, name="study_pdf"),
]
