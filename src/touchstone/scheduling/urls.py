from django.urls import path

from touchstone.scheduling import settings_views, views

app_name = "scheduling"
urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/new/", views.appointment_new, name="new"),
    path("calendar/clients/", views.client_search, name="client_search"),
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
    path("calendar/feed/", views.feed_page, name="feed"),
    # What a calendar app polls: /calendar/feeds/<secret>.ics (the access log masks it).
    path("calendar/feeds/<str:token>.ics", views.feed_ics, name="feed_ics"),
    # The owner's scheduling settings (settings_views.py).
    path("settings/scheduling/", settings_views.overview, name="settings"),
    path("settings/scheduling/policy/", settings_views.booking_policy, name="settings_policy"),
    *(
        path(
            f"settings/scheduling/{kind}/new/",
            settings_views.create,
            {"kind": kind},
            name=f"new_{kind}",
        )
        for kind in settings_views.KINDS
    ),
    path(
        "settings/scheduling/service/<int:service_id>/",
        settings_views.edit,
        {"kind": "service"},
        name="edit_service",
    ),
    path(
        "settings/scheduling/location/<int:location_id>/",
        settings_views.edit,
        {"kind": "location"},
        name="edit_location",
    ),
    path(
        "settings/scheduling/room/<int:room_id>/",
        settings_views.edit,
        {"kind": "room"},
        name="edit_room",
    ),
    path(
        "settings/scheduling/hours/<int:hours_id>/",
        settings_views.edit,
        {"kind": "hours"},
        name="edit_hours",
    ),
    path(
        "settings/scheduling/hours/<int:hours_id>/remove/",
        settings_views.remove,
        {"kind": "hours"},
        name="remove_hours",
    ),
    path(
        "settings/scheduling/exception/<int:exception_id>/remove/",
        settings_views.remove,
        {"kind": "exception"},
        name="remove_exception",
    ),
    path(
        "settings/scheduling/time_off/<int:time_off_id>/remove/",
        settings_views.remove,
        {"kind": "time_off"},
        name="remove_time_off",
    ),
]
