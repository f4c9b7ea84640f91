from django.urls import path

from touchstone.claims import views

app_name = "claims"
urlpatterns = [
    path("clients/<int:client_id>/coverage/", views.coverage, name="coverage"),
    path("claims/coverage/<int:coverage_id>/", views.coverage_edit, name="coverage_edit"),
    path("claims/", views.claim_list, name="list"),
    path("claims/create/", views.create, name="create"),
    path("claims/837p/", views.submit, name="submit"),
    path("claims/<int:claim_id>/cms1500/", views.cms1500, name="cms1500"),
    path("claims/remittances/", views.remittances, name="remittances"),
    path("claims/settings/", views.claim_settings, name="settings"),
]
