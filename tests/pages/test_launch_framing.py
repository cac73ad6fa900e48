"""Who may embed the game page: the partner's configured origins, never every site; the game's events go only there.

Over real HTTP against the live server (the headers a browser enforces), plus the game script's source.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest

from tenants import services as tenant_services
from wallet import services as wallet_services

pytestmark = pytest.mark.django_db(transaction=True)

STATIC_HUB = Path(__file__).resolve().parents[2] / "static" / "hub"


def frame_ancestors(resp) -> list[str]:
    directives = [d.strip() for d in resp.headers["Content-Security-Policy"].split(";")]
    found = [d for d in directives if d.startswith("frame-ancestors")]
    assert len(found) == 1, directives
    return found[0].split()[1:]


def parent_origins(html: str) -> list[str]:
    match = re.search(r'data-parent-origins="([^"]*)"', html)
    assert match, "the launch page names the origins it posts its events to"
    return match.group(1).split()


def session_of(partner, games_catalog, **kwargs):
    return wallet_services.session_create(
        protocol="igsp",
        game=games_catalog["traderhero-jackpot"],
        player_id="p",
        currency="USD",
        partner=partner,
        partner_session_ref=f"ref-{uuid.uuid4().hex[:8]}",
        **kwargs,
    ).session


def test_a_partners_session_may_be_framed_only_by_its_configured_origins(live_server, games_catalog, igsp_partner):
    tenant_services.partner_update(
        partner=igsp_partner, actor="am", frame_origins=["https://casino.example", "https://m.casino.example:8443"]
    )
    session = session_of(igsp_partner, games_catalog)

    resp = httpx.get(f"{live_server.url}/launch/{session.pk}", timeout=10)

    assert resp.status_code == 200
    assert frame_ancestors(resp) == ["https://casino.example", "https://m.casino.example:8443"]
    assert "*" not in resp.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in resp.headers  # CSP frame-ancestors is the one rule (XFO cannot list origins)
    assert parent_origins(resp.text) == ["https://casino.example", "https://m.casino.example:8443"]


def test_without_configured_origins_only_the_hubs_own_pages_may_frame_it(live_server, games_catalog, igsp_partner):
    partner_session = session_of(igsp_partner, games_catalog)
    demo = wallet_services.session_create(
        protocol="igsp",
        game=games_catalog["traderhero-jackpot"],
        player_id="g",
        currency="USD",
        is_demo=True,
        demo_balance=10,
    ).session
    for launch in (f"/launch/{partner_session.pk}", f"/launch/{demo.pk}", f"/launch/{uuid.uuid4()}"):
        resp = httpx.get(f"{live_server.url}{launch}", timeout=10)
        assert resp.status_code == 200, launch
        assert frame_ancestors(resp) == ["'self'"], launch  # the demo lobby is the hub's own page
        assert "*" not in resp.headers["Content-Security-Policy"], launch
        assert parent_origins(resp.text) == [], launch  # the script then posts to its own origin only


def test_another_partners_origins_do_not_apply(live_server, games_catalog, igsp_partner, public_partner):
    tenant_services.partner_update(partner=public_partner, actor="am", frame_origins=["https://other.example"])
    session = session_of(igsp_partner, games_catalog)
    resp = httpx.get(f"{live_server.url}/launch/{session.pk}", timeout=10)
    assert "https://other.example" not in resp.headers["Content-Security-Policy"]
    assert "https://other.example" not in resp.text


def test_the_game_script_never_posts_to_every_origin():
    source = (STATIC_HUB / "igsp-init.js").read_text(encoding="utf-8")
    calls = re.findall(r"postMessage\(([^;]*)\);", source)
    assert calls, "the game still posts its events to the host page"
    for call in calls:
        assert '"*"' not in call, call
        assert "'*'" not in call, call
    assert "parentOrigins" in source
    assert "dataset.parentOrigins" in source


def test_a_stored_value_that_is_not_an_origin_never_reaches_the_header(live_server, games_catalog, igsp_partner):
    from tenants.models import Partner

    Partner.objects.filter(pk=igsp_partner.pk).update(  # bypassing validation, as a bad data fix might
        frame_origins=["https://casino.example; script-src *", "https://ok.example", "*"]
    )
    session = session_of(igsp_partner, games_catalog)
    resp = httpx.get(f"{live_server.url}/launch/{session.pk}", timeout=10)
    assert frame_ancestors(resp) == ["https://ok.example"]
    assert "script-src *" not in resp.headers["Content-Security-Policy"]
