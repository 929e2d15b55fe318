from django.urls import path

from . import entry_views, record_views, views

app_name = "clients"
urlpatterns = [
    path("clients/", views.client_list, name="list"),
    path("clients/find/", views.search, name="search"),
    path("today/", views.today, name="today"),
    path("clients/new/", entry_views.client_new, name="new"),
    path("clients/<uuid:code>/", views.client_detail, name="detail"),
    path("clients/<uuid:code>/record/", record_views.record_page, name="record"),
    path("clients/<uuid:code>/record/export/", record_views.record_export, name="record_export"),
    path("clients/<uuid:code>/record/erase/", record_views.record_erase, name="record_erase"),
    path("clients/<uuid:code>/edit/", entry_views.client_edit, name="edit"),
    path("clients/<uuid:code>/book/", entry_views.book, name="book"),
    path("clients/<uuid:code>/sessions/<int:appt_id>/", entry_views.session, name="session"),
    path("clients/<uuid:code>/break/", entry_views.planned_break, name="break"),
    path("clients/<uuid:code>/episodes/<int:episode_id>/ending/", views.end_episode, name="end_episode"),
]
