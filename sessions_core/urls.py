from __future__ import annotations

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import confirm, decorators, views

app_name = "sessions_core"

urlpatterns = [
    path("session/status/", views.status, name="status"),
    path("session/extend/", views.extend, name="extend"),
    path("help/session-expired/", views.help_session_expired, name="help"),
    path("sessions/", views.my_sessions, name="mine"),
    path("sessions/<int:record_id>/end/", views.end_session, name="end"),
    path("sessions/end-others/", views.end_other_sessions, name="end_others"),
    path("confirm/", confirm.confirm, name="confirm"),
    # The dialog's words in the page's language; loading them is not activity.
    path(
        "session/jsi18n/",
        decorators.background(JavaScriptCatalog.as_view(packages=["sessions_core"])),
        name="jsi18n",
    ),
]
