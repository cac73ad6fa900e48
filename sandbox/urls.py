"""Root URLconf of the sandbox partner process (``HUB_ROOT_URLCONF=sandbox.urls``)."""

from django.urls import path

from . import adapter, control, igsp

handler404 = "sandbox.control.not_found"

urlpatterns = [
    path("healthz", control.healthz, name="sandbox-healthz"),
    # Control API (tests, demo, chaos, benchmarks)
    path("t/<slug:slug>", control.tenant, name="sandbox-tenant"),
    path("t/<slug:slug>/faults", control.tenant_faults, name="sandbox-faults"),
    path("t/<slug:slug>/accounts/<path:player_id>/<str:currency>", control.account, name="sandbox-account"),
    path("t/<slug:slug>/sessions/<path:session_id>", control.session, name="sandbox-session"),
    path("t/<slug:slug>/ledger", control.ledger, name="sandbox-ledger"),
    # IGSP: the platform's hooks endpoint
    path("t/<slug:slug>/igsp/hooks", igsp.hooks, name="sandbox-igsp-hooks"),
    # Public API: Integration Adapter (base URL /t/<slug>/adapter)
    path("t/<slug:slug>/adapter/balance", adapter.balance, name="sandbox-adapter-balance"),
    path("t/<slug:slug>/adapter/bet", adapter.bet, name="sandbox-adapter-bet"),
    path("t/<slug:slug>/adapter/win", adapter.win, name="sandbox-adapter-win"),
    path("t/<slug:slug>/adapter/refund", adapter.refund, name="sandbox-adapter-refund"),
]
