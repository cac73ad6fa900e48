"""The portal in Debian's Chromium: charts drawn from the hub's own Chart.js, no request to another host, no console
error; screenshots in test-artifacts/ (scripts/screenshots.py copies the overview to docs/img/). The operations
dashboard's browser test is test_dashboard_browser.py."""

from __future__ import annotations

from django.conf import settings as dj_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from portal import services as portal_services
from tests.pages.browser.conftest import DESKTOP, Watched, chromium, needs_chromium, screenshot  # noqa: F401

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
