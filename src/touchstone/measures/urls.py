from django.urls import path

from touchstone.measures import views

app_name = "measures"
urlpatterns = [
    path("clients/<int:client_id>/start/", views.start, name="start"),
    path("clients/<int:client_id>/progress/", views.progress, name="progress"),
    path("clients/<int:client_id>/link/", views.link_create, name="link"),
    path(
        "clients/<int:client_id>/progress-link/", views.progress_link_create, name="progress_link"
    ),
    path("administrations/<int:administration_id>/", views.fill, name="fill"),
    path("administrations/<int:administration_id>/result/", views.result, name="result"),
    path("links/<int:link_id>/revoke/", views.link_revoke, name="link_revoke"),
    path("tablet/hand-back/", views.handback, name="handback"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
]
