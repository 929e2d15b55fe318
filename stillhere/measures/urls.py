from django.urls import path

from . import views

app_name = "measures"
urlpatterns = [
    path("clients/<uuid:code>/", views.panel, name="panel"),
    path("clients/<uuid:code>/record/", views.entry, name="entry"),
    path("clients/<uuid:code>/fields/", views.entry_fields, name="fields"),
    path("clients/<uuid:code>/checkins/", views.checkin_interval, name="checkin_interval"),
    path("clients/<uuid:code>/checkin-held/", views.checkin_held, name="checkin_held"),
    path("checkins/", views.checkins_due, name="checkins"),
]
