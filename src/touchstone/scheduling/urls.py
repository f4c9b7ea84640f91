from django.urls import path

from touchstone.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/new/", views.appointment_new, name="new"),
    path(
        "calendar/appointments/<int:appointment_id>/",
        views.appointment_detail,
        name="appointment",
    ),
    path(
        "calendar/appointments/<int:appointment_id>/move/",
        views.appointment_move,
        name="move",
    ),
    path(
        "calendar/appointments/<int:appointment_id>/status/",
        views.appointment_status,
        name="status",
    ),
]
