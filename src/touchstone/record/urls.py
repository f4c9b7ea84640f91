from django.urls import path

from touchstone.lib.urls import client_scoped
from touchstone.record import views

app_name = "record"
urlpatterns = client_scoped(
    [
        path("", views.client_page, name="client"),
        path("appointments/", views.appointments_page, name="appointments"),
        path("chart/", views.chart_page, name="chart"),
        path("progress/", views.progress_page, name="progress"),
        path("documents/", views.documents_page, name="documents"),
    ]
)
