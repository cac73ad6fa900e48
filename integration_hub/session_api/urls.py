"""Session API routes, included under /igsp/v1/ by ``integration_hub/igsp/urls.py`` (after the provider API's
own routes, so ``sessions`` stays the provider API's create)."""

from django.urls import path

from . import views

urlpatterns = [
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
