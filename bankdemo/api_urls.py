"""/api/: the bank's JSON API, and sessions_core's token and device doors."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from bankdemo.banking import api

app_name = "api"

urlpatterns = [
    path("", include("sessions_core.api_urls")),
    path("accounts/", api.AccountsView.as_view(), name="accounts"),
    path(
        "accounts/<int:account_id>/transactions/",
        api.TransactionsView.as_view(),
        name="transactions",
    ),
    path("transfers/", api.TransfersView.as_view(), name="transfers"),
    path(
        "transfers/confirm/<str:held_id>/",
        api.TransferConfirmView.as_view(),
        name="transfer_confirm",
    ),
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]),
        name="schema",
    ),
]
