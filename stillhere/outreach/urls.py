from django.urls import path

from . import views

app_name = "outreach"
urlpatterns = [
    path("outreach/", views.queue, name="queue"),
    path("outreach/steps/<uuid:code>/", views.step_detail, name="step"),
    path("outreach/tone-check/", views.tone_check, name="tone_check"),
    path("outreach/letters/", views.letters, name="letters"),
    path("outreach/outbox/", views.outbox, name="outbox"),
    path("outreach/letters/<int:batch_id>.pdf", views.batch_pdf, name="batch_pdf"),
    path("outreach/templates/<slug:key>/<slug:channel>/", views.template_edit, name="template"),
    path("outreach/inbound/email/", views.inbound_email, name="inbound_email"),
    path("outreach/inbound/sms/", views.inbound_sms, name="inbound_sms"),
    path("outreach/status/<uuid:code>/", views.delivery_status, name="delivery_status"),
    path("r/<str:token>/", views.response_page, name="respond"),
    path("l/<str:code>/", views.short_link, name="short"),
]
