from django.urls import path

from integration_hub import certification_api

from . import lookup, views

urlpatterns = [
    path("certification/runs", certification_api.PublicCertificationRunsView.as_view(), name="core-certification-runs"),
    path(
        "certification/runs/<str:run_id>",
        certification_api.PublicCertificationRunView.as_view(),
        name="core-certification-run",
    ),
    path("create-new-game", views.CreateNewGameView.as_view(), name="core-create-new-game"),
    path("games", views.GamesView.as_view(), name="core-games"),
    path("free-rounds", views.FreeRoundsView.as_view(), name="core-free-rounds"),
    path("rounds", lookup.RoundsView.as_view(), name="core-rounds"),
    path("transactions", lookup.TransactionsView.as_view(), name="core-transactions"),
    path("reconciliation", lookup.ReconciliationView.as_view(), name="core-reconciliation"),
    path("terminate-sessions", lookup.TerminateSessionsView.as_view(), name="core-terminate-sessions"),
]
