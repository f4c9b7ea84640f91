from django.urls import path

from touchstone.clients import views
from touchstone.lib.urls import client_scoped

app_name = "clients"
urlpatterns = [
    path("clients/", views.client_list, name="list"),
    path("clients/new/", views.client_create, name="create"),
    # The client page itself is the client record's (record:client, /clients/<id>/).
    *client_scoped(
        [
            path("edit/", views.client_edit, name="edit"),
            path("archive/", views.client_archive, name="archive"),
            path("restore/", views.client_restore, name="restore"),
            path("history/", views.client_history, name="history"),
        ]
    ),
]
