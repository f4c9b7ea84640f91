from django.urls import path

from touchstone.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("details/", views.details, name="details"),
    path("export.csv", views.export, name="export"),
    path("research/", views.research, name="research"),
    path("research/export.csv", views.research_export, name="research_export"),
    path("measures/", views.quality, name="quality"),
    path("measures/export", views.quality_export, name="quality_export"),
    path("measures/clients/", views.quality_clients, name="quality_clients"),
    path("deteriorated/", views.deteriorated_list, name="deteriorated"),
    path("not-on-track/", views.not_on_track_list, name="not_on_track"),
    path("due/", views.due_list, name="due"),
]
