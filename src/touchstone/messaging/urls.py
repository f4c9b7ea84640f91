from django.urls import path

from touchstone.messaging import views

app_name = "messaging"
urlpatterns = [
    path("messages/", views.message_list, name="list"),
]
