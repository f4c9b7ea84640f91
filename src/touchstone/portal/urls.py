from django.urls import path

from touchstone.lib.urls import client_scoped
from touchstone.portal import booking, views

app_name = "portal"
urlpatterns = [
    *client_scoped(
        [
            path("links/new/", views.link_create, name="link"),
            path("links/progress/", views.progress_link_create, name="progress_link"),
            path("links/booking/", views.booking_link_send, name="booking_link"),
        ]
    ),
    path("links/<int:link_id>/revoke/", views.link_revoke, name="link_revoke"),
    path("links/<int:link_id>/send/", views.link_send, name="link_send"),
    # What clients open: /p/<token>/ (the access log masks the token).
    path("p/<str:token>/", views.open_link, name="open"),
    # An appointment's reminder links: /a/confirm/<token>/ and /a/cancel/<token>/.
    path("a/confirm/<str:token>/", views.appointment_confirm, name="appointment_confirm"),
    path("a/cancel/<str:token>/", views.appointment_cancel, name="appointment_cancel"),
    # The client's booking pages, through any private link they hold (portal/booking.py).
    path("p/<str:token>/book/", booking.book, name="book"),
    path("p/<str:token>/book/<int:appointment_id>/move/", booking.move, name="book_move"),
    path("p/<str:token>/book/<int:appointment_id>/cancel/", booking.cancel, name="book_cancel"),
]
