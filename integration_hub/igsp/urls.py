from django.urls import path

from . import views

urlpatterns = [
    path("providers", views.ProvidersView.as_view(), name="igsp-providers"),
    path("games", views.GamesView.as_view(), name="igsp-games"),
    path("sessions", views.SessionsView.as_view(), name="igsp-sessions"),
    path("demo/sessions", views.DemoSessionsView.as_view(), name="igsp-demo-sessions"),
    path("hooks", views.InboundHooksView.as_view(), name="igsp-hooks"),
    path("sessions/<str:session_id>/state", views.SessionStateView.as_view(), name="igsp-session-state"),
    path("sessions/<str:session_id>/balance", views.SessionBalanceView.as_view(), name="igsp-session-balance"),
    path("sessions/<str:session_id>/bet", views.SessionBetView.as_view(), name="igsp-session-bet"),
    path(
        "sessions/<str:session_id>/bets/<str:bet_id>",
        views.SessionBetDetailView.as_view(),
        name="igsp-session-bet-detail",
    ),
    path(
        "sessions/<str:session_id>/cash-out/preview",
        views.CashOutPreviewView.as_view(),
        name="igsp-session-cash-out-preview",
    ),
    path("sessions/<str:session_id>/cash-out", views.CashOutView.as_view(), name="igsp-session-cash-out"),
]
