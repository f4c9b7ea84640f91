from django.urls import path

from touchstone.trials import views

app_name = "trials"
urlpatterns = [
    path("", views.study_list, name="list"),
    path("new/", views.study_new, name="new"),
    path("<int:controlled_study_id>/", views.study_detail, name="detail"),
    path("<int:controlled_study_id>/protocol/", views.protocol_edit, name="protocol"),
    path("<int:controlled_study_id>/register/", views.register, name="register"),
    path("<int:controlled_study_id>/close/", views.close, name="close"),
    path("<int:controlled_study_id>/consent/", views.consent_new, name="consent"),
    path("<int:controlled_study_id>/enrolments/", views.enrolments, name="enrolments"),
    path("<int:controlled_study_id>/enrol/", views.enrol, name="enrol"),
    path("enrolments/<int:enrolment_id>/", views.enrolment_detail, name="enrolment"),
    path("enrolments/<int:enrolment_id>/receipt/", views.receipt, name="receipt"),
    path("<int:controlled_study_id>/analysis/", views.analysis, name="analysis"),
    path("<int:controlled_study_id>/consort.svg", views.consort, name="consort"),
    path("<int:controlled_study_id>/report.json", views.report_json, name="report_json"),
    path("<int:controlled_study_id>/dataset.csv", views.dataset_csv, name="dataset_csv"),
]
