from django.urls import path

from touchstone.messaging import views

app_name = "messaging"
urlpatterns = [
    path("messages/", views.message_list, name="list"),
    path("messages/on-call/", views.on_call, name="on_call"),
]
