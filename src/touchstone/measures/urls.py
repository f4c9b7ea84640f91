from django.urls import path

from touchstone.lib.urls import client_scoped
from touchstone.measures import instrument_views, views

app_name = "measures"
urlpatterns = [
    *client_scoped([path("questionnaires/new/", views.start, name="start")]),
    path("measures/administrations/<int:administration_id>/", views.fill, name="fill"),
    path("measures/administrations/<int:administration_id>/result/", views.result, name="result"),
    path("measures/tablet/hand-back/", views.handback, name="handback"),
    path("measures/alerts/", views.alert_list, name="alerts"),
    path("measures/alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("measures/instruments/", instrument_views.library, name="library"),
    path("measures/instruments/own/new/", instrument_views.custom_new, name="custom_new"),
    path(
        "measures/instruments/own/<int:custom_id>/",
        instrument_views.custom_detail,
        name="custom",
    ),
    path(
        "measures/instruments/<slug:instrument_id>/text/",
        instrument_views.enter_text,
        name="enter_text",
    ),
]
