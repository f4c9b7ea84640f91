from django.urls import path

from touchstone.evidence import views

app_name = "evidence"
urlpatterns = [
    path("", views.study_list, name="list"),
    path("studies/new/", views.study_new, name="new"),
    path("studies/<int:study_id>/", views.study_detail, name="study"),
    path("synthesis/", views.synthesis_page, name="synthesize"),
    path("syntheses/<int:synthesis_id>/", views.synthesis_detail, name="synthesis"),
    path("syntheses/<int:synthesis_id>/results.csv", views.synthesis_csv, name="synthesis_csv"),
    path("syntheses/<int:synthesis_id>/forest.svg", views.synthesis_forest, name="forest"),
    path("syntheses/<int:synthesis_id>/funnel.svg", views.synthesis_funnel, name="funnel"),
]
