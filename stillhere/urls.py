from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView

from stillhere.accounts import passwords, twostep

from stillhere.worker.views import healthz

urlpatterns = [
    path("login/", passwords.SignInView.as_view(), name="login"),
    path("password/forgot/", passwords.ForgotView.as_view(), name="password_reset"),
    path("password/forgot/sent/", passwords.ForgotDoneView.as_view(), name="password_reset_done"),
    path("password/set/<uidb64>/<token>/", passwords.SetPasswordView.as_view(), name="password_reset_confirm"),
    path("login/two-step/", twostep.verify, name="two_step_verify"),
    path("account/two-step/", twostep.setup, name="two_step_setup"),
    path("account/two-step/recovery/", twostep.recovery, name="two_step_recovery"),
    path("account/two-step/renew/", twostep.renew_codes, name="two_step_renew"),
    path("account/two-step/off/", twostep.turn_off, name="two_step_off"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("stillhere.api.urls")),
    path("words/", TemplateView.as_view(template_name="help/glossary.html"), name="glossary"),
    path("", include("stillhere.ingest.urls")),
    path("", include("stillhere.engagement.urls")),
    path("", include("stillhere.clients.urls")),
    path("measures/", include("stillhere.measures.urls")),
    path("", include("stillhere.outreach.urls")),
    path("", include("stillhere.desk.urls")),
    path("", include("stillhere.reflection.urls")),
    path("", include("stillhere.analytics.urls")),
    path("", include("stillhere.practice.urls")),
]
