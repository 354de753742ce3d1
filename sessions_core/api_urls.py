"""The API's session doors: include under the host's API prefix, e.g.
``path("api/", include("sessions_core.api_urls"))`` (needs Django REST framework)."""

from __future__ import annotations

from django.urls import path

from . import api_views

app_name = "sessions_core_api"

urlpatterns = [
    path("token/", api_views.TokenView.as_view(), name="token"),
    path("token/refresh/", api_views.RefreshView.as_view(), name="refresh"),
    path("logout/", api_views.LogoutView.as_view(), name="logout"),
    path("sessions/", api_views.SessionsView.as_view(), name="sessions"),
    path("sessions/<int:record_id>/", api_views.SessionView.as_view(), name="session"),
    path("confirm/", api_views.ConfirmView.as_view(), name="confirm"),
]
