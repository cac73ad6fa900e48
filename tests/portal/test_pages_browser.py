"""The portal and the operations dashboard in Debian's Chromium: charts drawn from the hub's own Chart.js, no
request to another host, no console error; screenshots in test-artifacts/. The dashboard's figures are the
reconciliation report's, and an account manager sees only their partners."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.conf import settings as dj_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from portal import services as portal_services
from tenants import services as tenant_services
from tests.pages.browser.conftest import DESKTOP, Watched, chromium, needs_chromium, screenshot  # noqa: F401
from wallet.reconciliation import hourly_totals, reconciliation_report

from .conftest import play

pytestmark = needs_chromium


def login_cookie(user, live_hub) -> dict:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return {"name": dj_settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": live_hub.url}


def test_portal_page_draws_health_charts(chromium, two_partners, game, live_hub, admin_user):  # noqa: F811
    a, _ = two_partners
    play(a, game, player="alice", bets=3)
    issued = portal_services.portal_link_issue(partner=a.partner, actor=admin_user, label="dev")
    context = chromium.new_context(**DESKTOP)
    try:
        watched = Watched(context.new_page(), live_hub.url)
        page = watched.page
        page.goto(issued.url.replace(dj_settings.HUB_PUBLIC_URL, live_hub.url))  # the token in the fragment
        page.wait_for_url(f"{live_hub.url}/portal/")  # posted once by the page; it left the address bar
        page.wait_for_function("document.querySelectorAll('canvas[data-window]').length === 3")
        page.wait_for_function("Object.keys(Chart.instances).length === 3")
        assert page.locator("#breaker .pill").inner_text() == "closed"
        screenshot(page, "portal-overview.png")
        page.click("text=Delivery log")
        page.fill("#log-q", "alice")
        page.click("button:has-text('Search')")
        assert page.locator("#log tbody tr").count() == 5  # balance, 3 bets, the win
        screenshot(page, "portal-delivery-log.png")
        page.locator("#log tbody tr a").first.click()
        assert "Request" in page.content()
        screenshot(page, "portal-call.png")
        watched.check()
    finally:
        context.close()


def test_dashboard_for_an_account_manager_matches_reconciliation(
    chromium,  # noqa: F811
    two_partners,
    game,
    live_hub,
    django_user_model,
):
    from tests.wallet.conftest import WALLET_PERMS, grant

    a, b = two_partners
    manager = django_user_model.objects.create_user(username="am", password="x", is_staff=True)
    grant(manager, *WALLET_PERMS)  # what the "Account managers" group carries (the flush emptied the groups)
    tenant_services.partner_update(partner=a.partner, actor="test", account_manager=manager)
    play(a, game, player="alice", bets=3, win="2.50")
    play(b, game, player="bob", bets=1)
    today = timezone.now().astimezone(UTC).date()
    [row] = reconciliation_report(partner=a.partner, date=today)
    start = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    hours = hourly_totals(partner=a.partner, start=start, end=start + timedelta(days=1))
    assert sum(h.bets for h in hours.values()) == row.bets_sum
    assert sum(h.wins for h in hours.values()) == row.wins_sum
    assert sum(h.ggr for h in hours.values()) == row.ggr
    assert sum(h.sessions for h in hours.values()) == 1

    context = chromium.new_context(**DESKTOP)
    try:
        context.add_cookies([login_cookie(manager, live_hub)])
        watched = Watched(context.new_page(), live_hub.url)
        page = watched.page
        page.goto(f"{live_hub.url}/admin/")
        assert page.title().endswith("Integration hub") and "Django administration" not in page.content()
        page.wait_for_function("window.Chart && Object.keys(Chart.instances).length === 1")
        table = page.locator("#ops-table")
        assert a.partner.name in table.inner_text() and b.partner.name not in page.content()
        assert page.locator(".ops-bets").inner_text() == f"{row.bets_sum.normalize()} USD"
        assert page.locator(".ops-ggr").inner_text() == f"{row.ggr.normalize()} USD"
        screenshot(page, "admin-operations-dashboard.png")
        watched.check()
    finally:
        context.close()
