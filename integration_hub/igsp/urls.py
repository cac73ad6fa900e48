from django.urls import include, path

from integration_hub import certification_api

from . import views

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
    # The Session API (the game page's calls): its own edge, integration_hub/session_api/.
    path("", include("integration_hub.session_api.urls")),
]
