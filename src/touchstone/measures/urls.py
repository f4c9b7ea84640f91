from django.urls import path

from touchstone.lib.urls import client_scoped
from touchstone.measures import views

app_name = "measures"
urlpatterns = [
    *client_scoped([path("questionnaires/new/", views.start, name="start")]),
    path("measures/administrations/<int:administration_id>/", views.fill, name="fill"),
    path("measures/administrations/<int:administration_id>/result/", views.result, name="result"),
    path("measures/tablet/hand-back/", views.handback, name="handback"),
    path("measures/alerts/", views.alert_list, name="alerts"),
    path("measures/alerts/<int:alert_id>/", views.alert_detail, name="alert"),
]
