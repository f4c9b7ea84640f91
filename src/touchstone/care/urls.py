from django.urls import path

from touchstone.care import views
from touchstone.lib.urls import client_scoped

app_name = "care"
urlpatterns = [
    *client_scoped(
        [
            path("intake/", views.intake, name="intake"),
            path("intake/edit/", views.intake_edit, name="intake_edit"),
            path("medications/new/", views.medication_create, name="medication_create"),
            path("screen/new/", views.screen_create, name="screen_create"),
            path("clearance/new/", views.clearance_create, name="clearance_create"),
            path("episodes/new/", views.episode_create, name="episode_create"),
            path("visits/", views.visit_list, name="visit_list"),
            path("visits/new/", views.visit_create, name="visit_create"),
        ]
    ),
    path(
        "care/medications/<int:medication_id>/edit/",
        views.medication_edit,
        name="medication_edit",
    ),
    path(
        "care/medications/<int:medication_id>/history/",
        views.medication_history,
        name="medication_history",
    ),
    path("care/episodes/<int:episode_id>/", views.episode_detail, name="episode"),
    path("care/episodes/<int:episode_id>/edit/", views.episode_edit, name="episode_edit"),
    path(
        "care/episodes/<int:episode_id>/diagnoses/new/",
        views.diagnosis_create,
        name="diagnosis_create",
    ),
    path("care/visits/<int:visit_id>/", views.visit_detail, name="visit"),
    path("care/visits/<int:visit_id>/edit/", views.visit_edit, name="visit_edit"),
    path("care/visits/<int:visit_id>/sign/", views.visit_sign, name="visit_sign"),
    path("care/visits/<int:visit_id>/addenda/new/", views.addendum_create, name="addendum_create"),
    path("care/unsigned-notes/", views.unsigned_note_list, name="unsigned_notes"),
    path(
        "care/visits/<int:visit_id>/adverse-events/new/",
        views.adverse_event_create,
        name="adverse_event_create",
    ),
    path(
        "care/adverse-events/<int:adverse_event_id>/edit/",
        views.adverse_event_edit,
        name="adverse_event_edit",
    ),
]
