from django.urls import path

from . import views

app_name = "engagement"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("clients/<uuid:code>/episodes/<int:episode_id>/state/", views.override, name="override"),
]
