from django.urls import path

from . import views

app_name = "reflection"
urlpatterns = [
    path("reflection/", views.index, name="index"),
    path("reflection/endings/<int:episode_id>/", views.review, name="review"),
    path("reflection/<int:pk>/summary/", views.make_summary, name="summary"),
    path("consultation/", views.consultation, name="consultation"),
    path("consultation/<int:pk>/", views.consultation_detail, name="consultation_detail"),
]
