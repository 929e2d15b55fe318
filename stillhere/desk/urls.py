from django.urls import path

from . import views

app_name = "desk"
urlpatterns = [
    path("inbox/steps/<uuid:code>/approve/", views.approve, name="approve"),
    path("inbox/steps/<uuid:code>/call/", views.log_call, name="log_call"),
    path("inbox/steps/<uuid:code>/retry/", views.retry, name="retry"),
    path("inbox/letters/<int:batch_id>/posted/", views.letters_posted, name="letters_posted"),
    path("inbox/episodes/<int:episode_id>/review/", views.review, name="review"),
    path("inbox/episodes/<int:episode_id>/raised/", views.mark_raised, name="mark_raised"),
    path("inbox/clients/<uuid:code>/checkin/", views.checkin_held, name="checkin_held"),
    path("clients/<uuid:code>/reply/", views.log_reply, name="log_reply"),
    path("compose/<uuid:code>/", views.compose, name="compose"),
    path("compose/<uuid:code>/check/", views.compose_check, name="compose_check"),
    path("compose/<uuid:code>/template/", views.compose_from_template, name="compose_template"),
    path("compose/<uuid:code>/preview.pdf", views.compose_preview, name="compose_preview"),
]
