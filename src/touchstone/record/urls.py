from django.urls import path

from touchstone.lib.urls import client_scoped
from touchstone.record import views

app_name = "record"
urlpatterns = client_scoped(
    [
        path("", views.client_page, name="client"),
        path("progress/", views.progress_page, name="progress"),
    ]
)
