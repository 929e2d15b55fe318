from django.urls import path

from . import views

app_name = "ingest"
urlpatterns = [
    path("import/", views.start, name="start"),
    path("import/<uuid:code>/", views.run_page, name="run"),
    path("import/<uuid:code>/begin/", views.begin, name="begin"),
    path("import/<uuid:code>/progress/", views.progress, name="progress"),
]
