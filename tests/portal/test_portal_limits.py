"""The portal's load on the database is bounded: its pages are throttled per partner (429 with
Retry-After), and the endpoint health figures of /portal/ are computed at most once per
HUB_PORTAL_HEALTH_CACHE_SECONDS per partner."""

from __future__ import annotations

import re

from portal import services as portal_services
from tests.conftest import cache_clear

from .conftest import play, portal_client


def _calls_this_hour(html: str) -> int:
    section = html.split('id="health-hour"', 1)[1]
    return int(re.search(r"<b>(\d+)</b> calls", section).group(1))


def test_portal_pages_are_throttled_per_partner(two_partners, live_hub, admin_user, settings):
    settings.HUB_PORTAL_RATE = "3/min"
    a, b = two_partners
    client = portal_client(live_hub, portal_services.portal_link_issue(partner=a.partner, actor=admin_user).url)
    others = portal_client(live_hub, portal_services.portal_link_issue(partner=b.partner, actor=admin_user).url)
    assert [client.get(path).status_code for path in ("/portal/", "/portal/log", "/portal/log")] == [200] * 3
    refused = client.get("/portal/log", params={"q": "alice"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many requests" in refused.text
    assert others.get("/portal/").status_code == 200  # another partner's budget is its own


def test_health_figures_are_cached_per_partner(two_partners, game, live_hub, admin_user, settings):
    settings.HUB_PORTAL_HEALTH_CACHE_SECONDS = 30
    a, b = two_partners
    play(a, game)
    client = portal_client(live_hub, portal_services.portal_link_issue(partner=a.partner, actor=admin_user).url)
    first = _calls_this_hour(client.get("/portal/").text)
    assert first >= 4
    play(a, game)
    assert _calls_this_hour(client.get("/portal/").text) == first  # within 30 s: the same figures
    others = portal_client(live_hub, portal_services.portal_link_issue(partner=b.partner, actor=admin_user).url)
    assert _calls_this_hour(others.get("/portal/").text) == 0  # per partner
    cache_clear()  # 30 s later
    assert _calls_this_hour(client.get("/portal/").text) > first
