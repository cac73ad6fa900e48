from __future__ import annotations

from decimal import Decimal

import pytest

from tenants import services as tenant_services
from tests.conftest import wire_partner

PLAYER = "cert-player"
SESSION = "cert-session-1"
START = Decimal("500.00")


@pytest.fixture
def cert(sandbox, live_hub, transactional_db, settings):
    """A live partner wired to a strict sandbox tenant (unknown players refused) with a declared test player and its
    session.

    The wallet URLs use 127.0.0.1 rather than the live server's "localhost", which costs an IPv6 attempt per
    new connection (half of every call's time here)."""
    settings.HUB_CERTIFICATION_BUDGET_SECONDS = 5.0  # the real budget: a loaded CI machine is no slow wallet
    wired = wire_partner(sandbox, live_hub)
    base = live_hub.url.replace("://localhost:", "://127.0.0.1:")
    wired.partner = tenant_services.partner_update(
        partner=wired.partner,
        actor="test",
        igsp_hooks_url=f"{base}/t/{wired.slug}/igsp/hooks",
        certification_test_players=[PLAYER, SESSION],  # the partner is live: API-started runs need test players
    )
    tenant_services.ext_client_update(
        ext_client=wired.ext_client, actor="test", base_url=f"{base}/t/{wired.slug}/adapter"
    )
    sandbox.configure_tenant(wired.slug, strict_sessions=True)
    sandbox.set_balance(wired.slug, PLAYER, "USD", str(START))
    sandbox.register_session(wired.slug, SESSION, PLAYER, "USD")
    return wired
