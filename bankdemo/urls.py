from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from sessions_core import decorators
from sessions_core import views as session_views


@decorators.open_after_end
def switch_language(request):
    """Django's set_language, open on the sign-in page after a session ended too."""
    return set_language(request)


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
    path("i18n/setlang/", switch_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/", include("bankdemo.api_urls")),
    path("", include("sessions_core.urls")),
    path("", include("bankdemo.banking.urls")),
]
