from django.urls import path

from touchstone.measures import views

app_name = "measures"
urlpatterns = [
    path("clients/<int:client_id>/start/", views.start, name="start"),
    path("clients/<int:client_id>/progress/", views.progress, name="progress"),
    path("administrations/<int:administration_id>/", views.fill, name="fill"),
    path("administrations/<int:administration_id>/result/", views.result, name="result"),
    path("tablet/hand-back/", views.handback, name="handback"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
]
