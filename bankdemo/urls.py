from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from sessions_core import views as session_views

urlpatterns = [
    path("login/", session_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        session_views.PasswordChangeView.as_view(
            template_name="registration/password_change.html"
        ),
        name="password_change",
    ),
    path("admin/", admin.site.urls),
    path("", include("sessions_core.urls")),
    path("", include("bankdemo.banking.urls")),
]
