"""Helpers for the partner lookups: signed calls of both protocols over real HTTP."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from core import signing


@pytest.fixture
def http(live_hub, settings):
    settings.HUB_PUBLIC_URL = live_hub.url
    settings.HUB_JACKPOT_ROUND_SECONDS = 0  # TraderHero rounds settle in the bet's request
    with httpx.Client(base_url=live_hub.url, timeout=15) as client:
        yield client


def igsp_get(http, wired, path: str, params: dict | None = None) -> httpx.Response:
    """A signed IGSP GET: the empty body + X-Timestamp."""
    creds = wired.credentials["igsp"]
    return http.get(path, params=params, headers=signing.igsp_headers(creds.credential.public_id, creds.secret, b""))


def igsp_post(http, wired, path: str, body: dict) -> httpx.Response:
    raw = json.dumps(body).encode()
    creds = wired.credentials["igsp"]
    headers = signing.igsp_headers(creds.credential.public_id, creds.secret, raw)
    return http.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})


def core_get(http, wired, path: str, params: dict) -> httpx.Response:
    """A signed Core API GET: the query as a flat JSON object of strings (as GET /games)."""
    params = {"cID": str(wired.partner.pk), **params}
    sign = signing.public_sign(wired.credentials["core_api"].secret, signing.canonical_query(params))
    return http.get(f"/api/v1{path}", params=params, headers={"X-REQUEST-SIGN": sign})


def once(**over) -> dict:
    """The fields that make a state-changing Core API call act once: a fresh requestId and the current time."""
    return {"requestId": str(uuid.uuid4()), "timestamp": int(time.time()), **over}


def core_post(http, wired, path: str, payload: dict, method: str = "POST") -> httpx.Response:
    payload = {"cID": str(wired.partner.pk), **payload}
    body, sig = signing.public_sign_body(wired.credentials["core_api"].secret, payload)
    return http.request(
        method, f"/api/v1{path}", content=body, headers={"X-REQUEST-SIGN": sig, "Content-Type": "application/json"}
    )


def igsp_session(http, wired, game_slug: str, *, player="p-1", balance="500.00", country=None, language="en"):
    """An IGSP session on the sandbox wallet: (session id, Session API headers, our GameSession id)."""
    body = {
        "game_id": game_slug,
        "player_id": player,
        "player_name": "Fox",
        "currency": "USD",
        "session_id": f"s-{uuid.uuid4()}",
        "balance": balance,
        "language": language,
    }
    if country:
        body["country"] = country
    resp = igsp_post(http, wired, "/igsp/v1/sessions", body)
    assert resp.status_code == 201, resp.text
    session_id, key = resp.json()["url"].split("/launch/")[1].split("#key=")
    wired.sandbox.set_balance(wired.slug, player, "USD", balance)
    return session_id, {"X-Casino-Key": key}, body["session_id"]


def core_session(http, wired, game_slug: str, *, user="u-77", session_ref=None, country="DE", locale="en_us"):
    session_ref = session_ref or f"ext-{uuid.uuid4()}"
    resp = core_post(
        http,
        wired,
        "/create-new-game",
        {
            "extCID": wired.slug,
            "gameID": game_slug,
            "demo": False,
            "platform": "desktop",
            "currency": "USD",
            "locale": locale,
            "sessionID": session_ref,
            "user": {"id": user, "nickName": "Zed", "country": country},
        },
    )
    assert resp.status_code == 200, resp.text
    game = resp.json()
    wired.sandbox.register_session(wired.slug, session_ref, user, "USD", balance="100.00")
    return game["gsID"], {"X-Casino-Key": game["gameURL"].split("#key=")[1]}, session_ref


def jackpot_bet(http, sid, key, amount="1.00") -> dict:
    r = http.post(f"/igsp/v1/sessions/{sid}/bet", headers=key, json={"direction": "up", "amount": amount})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def open_market(games_catalog):
    from datetime import timedelta

    from games.models import Market

    return Market.objects.filter(status="open").first() or Market.objects.create(
        title="Will it rain?", b=Decimal("100"), close_at=timezone.now() + timedelta(days=30)
    )
