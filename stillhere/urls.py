from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from stillhere.worker.views import healthz

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("stillhere.api.urls")),
    path("", include("stillhere.ingest.urls")),
    path("", include("stillhere.engagement.urls")),
    path("", include("stillhere.clients.urls")),
    path("measures/", include("stillhere.measures.urls")),
    path("", include("stillhere.outreach.urls")),
    path("", include("stillhere.desk.urls")),
    path("", include("stillhere.reflection.urls")),
    path("", include("stillhere.analytics.urls")),
]
