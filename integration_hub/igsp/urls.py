from django.urls import include, path

from integration_hub import certification_api

from . import lookup, views

urlpatterns = [
    path("certification/runs", certification_api.IgspCertificationRunsView.as_view(), name="igsp-certification-runs"),
    path(
        "certification/runs/<str:run_id>",
        certification_api.IgspCertificationRunView.as_view(),
        name="igsp-certification-run",
    ),
    path("providers", views.ProvidersView.as_view(), name="igsp-providers"),
    path("games", views.GamesView.as_view(), name="igsp-games"),
    path("sessions", views.SessionsView.as_view(), name="igsp-sessions"),
    path("demo/sessions", views.DemoSessionsView.as_view(), name="igsp-demo-sessions"),
    path("hooks", views.InboundHooksView.as_view(), name="igsp-hooks"),
    path("rounds/<str:round_id>", lookup.RoundDetailsView.as_view(), name="igsp-round-details"),
    path("transactions", lookup.TransactionsView.as_view(), name="igsp-transactions"),
    path("reconciliation", lookup.ReconciliationView.as_view(), name="igsp-reconciliation"),
    path("sessions/terminate", lookup.SessionsTerminateView.as_view(), name="igsp-sessions-terminate"),
    # The Session API (the game page's calls): its own edge, integration_hub/session_api/.
    path("", include("integration_hub.session_api.urls")),
]
