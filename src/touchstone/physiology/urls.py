from django.urls import path

from touchstone.lib.urls import client_scoped
from touchstone.physiology import views

app_name = "physiology"
urlpatterns = [
    *client_scoped(
        [
            path("physiology/", views.overview, name="overview"),
            path("physiology/samples/new/", views.sample_create, name="sample_new"),
            path("physiology/recordings/new/", views.recording_create, name="recording_new"),
            path("physiology/sleep/", views.sleep, name="sleep"),
            path("physiology/sleep/new/", views.sleep_create, name="sleep_new"),
            path("physiology/sleep/link/", views.diary_link, name="diary_link"),
            path("physiology/import/", views.import_upload, name="import"),
            path("physiology/import/map/", views.import_map, name="import_map"),
            path(
                "physiology/association/",
                views.client_association,
                name="client_association",
            ),
        ]
    ),
    path("physiology/recordings/<int:recording_id>/", views.recording_detail, name="recording"),
    path("physiology/diary/<str:token>/", views.diary, name="diary"),
    path("physiology/association/", views.clinic_association, name="association"),
]
