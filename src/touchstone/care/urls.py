from django.urls import path

from touchstone.care import views

app_name = "care"
urlpatterns = [
    path("clients/<int:client_id>/intake/", views.intake, name="intake"),
    path("clients/<int:client_id>/intake/edit/", views.intake_edit, name="intake_edit"),
    path(
        "clients/<int:client_id>/medications/new/",
        views.medication_create,
        name="medication_create",
    ),
    path("medications/<int:medication_id>/edit/", views.medication_edit, name="medication_edit"),
    path(
        "medications/<int:medication_id>/history/",
        views.medication_history,
        name="medication_history",
    ),
    path("clients/<int:client_id>/screen/new/", views.screen_create, name="screen_create"),
    path("clients/<int:client_id>/episodes/new/", views.episode_create, name="episode_create"),
    path("episodes/<int:episode_id>/", views.episode_detail, name="episode"),
    path("episodes/<int:episode_id>/edit/", views.episode_edit, name="episode_edit"),
    path(
        "episodes/<int:episode_id>/diagnoses/new/", views.diagnosis_create, name="diagnosis_create"
    ),
    path("clients/<int:client_id>/visits/", views.visit_list, name="visit_list"),
    path("clients/<int:client_id>/visits/new/", views.visit_create, name="visit_create"),
    path("visits/<int:visit_id>/", views.visit_detail, name="visit"),
    path("visits/<int:visit_id>/edit/", views.visit_edit, name="visit_edit"),
    path(
        "visits/<int:visit_id>/adverse-events/new/",
        views.adverse_event_create,
        name="adverse_event_create",
    ),
    path(
        "adverse-events/<int:adverse_event_id>/edit/",
        views.adverse_event_edit,
        name="adverse_event_edit",
    ),
]
