"""A home page that needs a sign-in, plus the URLs sessions_core's README asks for."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import TemplateView

from sessions_core.views import LoginView

urlpatterns = [
    path(
        "",
        login_required(TemplateView.as_view(template_name="home.html")),
        name="home",
    ),
    # README step 5.
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("sessions_core.urls")),
]
