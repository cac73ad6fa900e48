"""The player pages' HTTP contract, without a browser: headers, framing, and no external assets."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

STATIC_HUB = Path(__file__).resolve().parents[3] / "static" / "hub"


def test_launch_page_of_an_unknown_session_is_framed_by_the_hub_only_and_leaks_no_referrer(client):
    resp = client.get(f"/launch/{uuid.uuid4()}")
    assert resp.status_code == 200
    assert resp["Referrer-Policy"] == "no-referrer"
    assert "X-Frame-Options" not in resp
    csp = [part.strip() for part in resp["Content-Security-Policy"].split(";")]
    assert "frame-ancestors 'self'" in csp
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    html = resp.content.decode()
    assert "hub/igsp-init.js" in html
    assert 'data-testid="balance"' in html


def test_launch_page_knows_the_session_language_and_way_back_but_no_secret(client, games_catalog):
    from wallet import services as wallet_services

    created = wallet_services.session_create(
        protocol="igsp",
        game=games_catalog["traderhero-jackpot"],
        player_id="p",
        currency="USD",
        is_demo=True,
        demo_balance=10,
        language="pt-br",
        return_url="https://casino.example/lobby",
    )
    html = client.get(f"/launch/{created.session.pk}").content.decode()
    assert 'data-language="pt-br"' in html
    assert 'data-return-url="https://casino.example/lobby"' in html
    assert created.key not in html
    assert created.session.key_hash not in html


def test_only_get_and_valid_ids(client):
    assert client.post(f"/launch/{uuid.uuid4()}").status_code == 405
    assert client.get("/launch/not-a-uuid").status_code == 404


def test_home_redirects_to_the_demo_lobby(client):
    resp = client.get("/")
    assert resp.status_code == 302
    assert resp["Location"] == "/demo/"


def test_demo_lobby(client, settings):
    settings.HUB_PUBLIC_URL = "https://games.example.com"
    resp = client.get("/demo/")
    assert resp.status_code == 200
    assert resp["X-Frame-Options"] == "DENY"
    assert "frame-src 'self' https://games.example.com" in resp["Content-Security-Policy"]
    html = resp.content.decode()
    assert 'data-game="prediction-markets"' in html
    assert 'data-game="traderhero-jackpot"' in html
    assert 'data-demo-sessions="/igsp/v1/demo/sessions"' in html


def test_pages_reference_no_external_asset(client):
    pages = [client.get(f"/launch/{uuid.uuid4()}").content.decode(), client.get("/demo/").content.decode()]
    for html in pages:
        for url in re.findall(r'(?:src|href)="([^"]*)"', html):
            assert url.startswith("/"), url
    for path in STATIC_HUB.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            external = [u for u in re.findall(r"https?://[^\s\"')]+", text) if not u.startswith("http://www.w3.org/")]
            assert not external, (path.name, external)
