from __future__ import annotations

from django.urls import path

from . import views

app_name = "banking"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/<int:account_id>/", views.history, name="history"),
    path("transfer/", views.transfer, name="transfer"),
]
