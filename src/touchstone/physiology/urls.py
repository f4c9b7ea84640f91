from django.urls import path

from touchstone.physiology import views

app_name = "physiology"
urlpatterns = [
    path("clients/<int:client_id>/", views.overview, name="overview"),
    path("clients/<int:client_id>/samples/new/", views.sample_create, name="sample_new"),
    path("clients/<int:client_id>/recordings/new/", views.recording_create, name="recording_new"),
    path("recordings/<int:recording_id>/", views.recording_detail, name="recording"),
    path("clients/<int:client_id>/sleep/", views.sleep, name="sleep"),
    path("clients/<int:client_id>/sleep/new/", views.sleep_create, name="sleep_new"),
    path("clients/<int:client_id>/sleep/link/", views.diary_link, name="diary_link"),
    path("diary/<str:token>/", views.diary, name="diary"),
    path("clients/<int:client_id>/import/", views.import_upload, name="import"),
    path("clients/<int:client_id>/import/map/", views.import_map, name="import_map"),
    path(
        "clients/<int:client_id>/association/",
        views.client_association,
        name="client_association",
    ),
    path("association/", views.clinic_association, name="association"),
]
