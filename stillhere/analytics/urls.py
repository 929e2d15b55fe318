from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("practice/", views.practice, name="practice"),
    path("practice/export.csv", views.export, name="export"),
    path("practice/report.pdf", views.report_pdf, name="pdf"),
    path("practice/model/", views.model_card, name="model_card"),
]
