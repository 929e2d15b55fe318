from django.urls import path

from . import first_run, people, views

app_name = "practice"
urlpatterns = [
    path("setup/", first_run.first_run, name="first_run"),
    path("settings/", views.index, name="index"),
    path("settings/practice/", views.practice_settings, name="settings"),
    path("settings/engagement/", views.engagement_settings, name="engagement"),
    path("settings/outreach/", views.outreach_settings, name="outreach"),
    path("settings/outreach/plan/", views.plan, name="plan"),
    path("settings/outreach/plan/clinician/<int:clinician_id>/", views.plan, name="plan_clinician"),
    path("settings/outreach/plan/client/<uuid:client_code>/", views.plan, name="plan_client"),
    path("settings/measures/", views.measures_settings, name="measures"),
    path("settings/wording/", views.templates, name="templates"),
    path("settings/people/", people.people, name="people"),
    path("settings/people/<int:member_id>/", people.member, name="member"),
]
