"""IGSP provider API over real HTTP, responses validated against igsp-providers.yaml."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from core import signing
from tenants import services as tenant_services
from tenants.models import CredentialPurpose
from tests import contracts
from tests.conftest import cache_clear
from wallet.models import GameSession, InboundHook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def spec():
    return "igsp-providers"


def validate_response(spec, method: str, path: str, resp: httpx.Response) -> None:
    contracts.validate_response(spec, path, resp)


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


def signed(partner, method: str, path: str, http, body: dict | None = None, params: dict | None = None, **over):
    raw = json.dumps(body).encode() if body is not None else b""
    headers = signing.igsp_headers(
        over.get("key", partner.api_key), over.get("secret", partner.secret), raw, now=over.get("when")
    )
    if method == "GET":
        return http.get(path, params=params, headers=headers)
    return http.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})


def test_providers_and_games_listing_validate_against_the_contract(http, igsp_partner, games_catalog, spec):
    resp = signed(igsp_partner, "GET", "/igsp/v1/providers", http)
    assert resp.status_code == 200, resp.text
    validate_response(spec, "GET", "/providers", resp)
    assert resp.json()["data"][0]["name"]
    resp = signed(igsp_partner, "GET", "/igsp/v1/games", http)
    assert resp.status_code == 200, resp.text
    validate_response(spec, "GET", "/games", resp)
    slugs = {g["slug"] for g in resp.json()["data"]}
    assert {"prediction-markets", "traderhero-jackpot"} <= slugs
    assert resp.json()["meta"] == {"limit": 50, "returned": len(resp.json()["data"]), "has_more": False}


def test_games_cursor_pagination_and_delta_sync(http, igsp_partner, games_catalog):
    from catalog.models import Game

    provider = games_catalog["prediction-markets"].provider
    for i in range(5):
        Game.objects.create(provider=provider, slug=f"extra-{i}", name=f"Extra {i}", rtp="0.9600")
    total = Game.objects.filter(deleted_at__isnull=True).count()
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = signed(igsp_partner, "GET", "/igsp/v1/games", http, params=params).json()
        seen += [g["id"] for g in body["data"]]
        pages += 1
        assert body["meta"]["returned"] == len(body["data"]) <= 2
        if pages > 1:
            assert body["cursor"]["previous"]
        cursor = body["cursor"]["next"]
        assert body["meta"]["has_more"] == (cursor is not None)
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == total
    # Going back from the last page returns the page before it.
    back = signed(
        igsp_partner, "GET", "/igsp/v1/games", http, params={"limit": 2, "cursor": body["cursor"]["previous"]}
    ).json()
    assert [g["id"] for g in back["data"]] == seen[-len(body["data"]) - 2 : -len(body["data"])]
    # Delta sync: strictly after; a soft-deleted game shows up with deleted_at.
    mark = timezone.now()
    gone = Game.objects.get(slug="extra-3")
    gone.deleted_at = timezone.now()
    gone.save()
    delta = signed(
        igsp_partner, "GET", "/igsp/v1/games", http, params={"updated_after": mark.isoformat().replace("+00:00", "Z")}
    ).json()
    assert [(g["slug"], bool(g["deleted_at"])) for g in delta["data"]] == [("extra-3", True)]
    full = signed(igsp_partner, "GET", "/igsp/v1/games", http, params={"limit": 200}).json()
    assert "extra-3" not in {g["slug"] for g in full["data"]}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "ten"},
        {"cursor": "!!notacursor"},
        {"updated_after": "yesterday"},
        {"updated_after": "2025-13-01T00:00:00Z"},
    ],
)
def test_bad_listing_parameters_are_400(http, igsp_partner, params):
    resp = signed(igsp_partner, "GET", "/igsp/v1/games", http, params=params)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_request" and resp.json()["status"] == 400


def session_body(**over):
    body = {
        "game_id": "traderhero-jackpot",
        "player_id": "player-912",
        "player_name": "LuckyFox",
        "currency": "EUR",
        "session_id": "sess-20250101-0001",
        "balance": 100.00,
        "device": "desktop",
        "is_demo": False,
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def test_create_session_returns_launch_url_with_key_in_fragment(http, igsp_partner, games_catalog, spec, settings):
    resp = signed(
        igsp_partner,
        "POST",
        "/igsp/v1/sessions",
        http,
        session_body(game_id=str(games_catalog["traderhero-jackpot"].pk), return_url="https://casino.example/lobby"),
    )
    assert resp.status_code == 201, resp.text
    validate_response(spec, "POST", "/sessions", resp)
    url = resp.json()["url"]
    prefix = f"{settings.HUB_PUBLIC_URL}/launch/"
    assert url.startswith(prefix) and "#key=igsp_" in url
    session_id, key = url[len(prefix) :].split("#key=")
    session = GameSession.objects.get(pk=session_id)
    assert session.partner == igsp_partner and session.currency == "EUR" and session.last_balance == Decimal("100")
    assert session.device == "desktop" and session.language == "en" and key not in session.key_hash
    assert timedelta(hours=3, minutes=59) < session.expires_at - timezone.now() <= timedelta(hours=4)


def test_duplicate_session_id_is_409_but_another_partner_may_reuse_it(http, igsp_partner, games_catalog):
    assert signed(igsp_partner, "POST", "/igsp/v1/sessions", http, session_body()).status_code == 201
    again = signed(
        igsp_partner, "POST", "/igsp/v1/sessions", http, session_body(), when=timezone.now() + timedelta(seconds=1)
    )  # re-signed: not a replay
    assert again.status_code == 409 and again.json()["error"] == "duplicate_session"
    other = tenant_services.partner_onboard(
        name="Other",
        actor="t",
        igsp=True,
        public_api=False,
        default_currency="EUR",
        igsp_hooks_url="https://o.example/h",
    )
    cred = other.credentials[CredentialPurpose.IGSP]
    resp = signed(
        igsp_partner,
        "POST",
        "/igsp/v1/sessions",
        http,
        session_body(),
        key=cred.credential.public_id,
        secret=cred.secret,
    )
    assert resp.status_code == 201


@pytest.mark.parametrize(
    "over,field",
    [
        ({"game_id": None}, "game_id"),
        ({"player_id": None}, "player_id"),
        ({"player_name": None}, "player_name"),
        ({"currency": None}, "currency"),
        ({"session_id": None}, "session_id"),
        ({"balance": None}, "balance"),
        ({"game_id": "no-such-game"}, "game_id"),
        ({"currency": "JPY"}, "currency"),
        ({"balance": -1}, "balance"),
        ({"balance": "lots"}, "balance"),
        ({"balance": 1.001}, "balance"),
        ({"device": "tv"}, "device"),
        ({"language": "english"}, "language"),
        ({"return_url": "not a url"}, "return_url"),
        ({"is_demo": "maybe"}, "is_demo"),
    ],
)
def test_session_validation_errors_are_400_and_write_nothing(http, igsp_partner, games_catalog, over, field):
    resp = signed(igsp_partner, "POST", "/igsp/v1/sessions", http, session_body(**over))
    assert resp.status_code == 400, resp.text
    assert field in resp.json()["message"]
    assert not GameSession.objects.exists()


def test_session_defaults(http, igsp_partner, games_catalog):
    resp = signed(igsp_partner, "POST", "/igsp/v1/sessions", http, session_body(device=None, is_demo=None))
    assert resp.status_code == 201
    session = GameSession.objects.get()
    assert session.device == "mobile" and session.language == "en" and not session.is_demo


def test_non_json_body_is_400(http, igsp_partner):
    raw = b"{not json"
    headers = signing.igsp_headers(igsp_partner.api_key, igsp_partner.secret, raw)
    resp = http.post("/igsp/v1/sessions", content=raw, headers={**headers, "Content-Type": "application/json"})
    assert resp.status_code == 400


def test_demo_sessions_need_no_hmac_and_are_rate_limited(http, games_catalog, settings):
    settings.HUB_DEMO_SESSIONS_RATE = "3/min"
    cache_clear()
    codes = [
        http.post("/igsp/v1/demo/sessions", json=session_body(session_id=f"d{i}", balance=50)).status_code
        for i in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    session = GameSession.objects.filter(is_demo=True).first()
    assert session.partner is None and session.demo_balance == Decimal("50")


def test_inbound_hooks_are_verified_idempotent_and_reconciled(http, igsp_partner, games_catalog):
    created = signed(igsp_partner, "POST", "/igsp/v1/sessions", http, session_body()).json()["url"]
    session_id = created.split("/launch/")[1].split("#")[0]
    event = {
        "action": "balance",
        "player_id": "player-912",
        "currency": "EUR",
        "amount": 77.25,
        "session_id": "sess-20250101-0001",
        "transaction_id": "ev-1",
    }
    first = signed(igsp_partner, "POST", "/igsp/v1/hooks", http, event)
    assert first.status_code == 200, first.text
    assert GameSession.objects.get(pk=session_id).last_balance == Decimal("77.25")
    replay = signed(igsp_partner, "POST", "/igsp/v1/hooks", http, {**event, "amount": 1})
    assert replay.status_code == 200 and replay.json() == first.json()
    assert GameSession.objects.get(pk=session_id).last_balance == Decimal("77.25")
    # A movement our ledger does not know is flagged for account managers.
    odd = signed(
        igsp_partner,
        "POST",
        "/igsp/v1/hooks",
        http,
        {
            "action": "win",
            "player_id": "player-912",
            "currency": "EUR",
            "amount": 5,
            "transaction_id": "unknown-tx",
            "session_id": "sess-20250101-0001",
        },
    )
    assert odd.status_code == 200 and odd.json()["mismatch"] is True
    assert GameSession.objects.get(pk=session_id).balance_mismatch
    assert InboundHook.objects.filter(partner=igsp_partner).count() == 2
    bad = signed(igsp_partner, "POST", "/igsp/v1/hooks", http, {"action": "steal", "player_id": "x", "currency": "EUR"})
    assert bad.status_code == 400
    unsigned = http.post("/igsp/v1/hooks", json=event)
    assert unsigned.status_code == 401


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/igsp/v1/providers"),
        ("GET", "/igsp/v1/games"),
        ("POST", "/igsp/v1/sessions"),
        ("POST", "/igsp/v1/hooks"),
    ],
)
def test_every_hmac_endpoint_answers_the_same_401_for_every_failure(http, igsp_partner, games_catalog, method, path):
    from datetime import datetime

    other = tenant_services.partner_onboard(
        name="Other", actor="t", igsp=True, public_api=False, igsp_hooks_url="https://o.example/h"
    )
    other_cred = other.credentials[CredentialPurpose.IGSP]
    revoked = tenant_services.credential_issue(partner=igsp_partner, purpose=CredentialPurpose.IGSP, actor="t")
    tenant_services.credential_revoke(credential=revoked.credential, actor="t")
    body = json.dumps(session_body()).encode() if method == "POST" else b""
    now = datetime.now(UTC)

    def send(key=None, secret=None, when=None, raw=None, drop=None, sig=None):
        headers = signing.igsp_headers(key or igsp_partner.api_key, secret or igsp_partner.secret, body, now=when)
        if sig:
            headers["X-Signature"] = sig
        if drop:
            headers.pop(drop)
        return http.request(
            method,
            path,
            content=raw if raw is not None else body,
            headers={**headers, "Content-Type": "application/json"},
        )

    failures = {
        "missing Authorization": send(drop="Authorization"),
        "missing X-Timestamp": send(drop="X-Timestamp"),
        "missing X-Signature": send(drop="X-Signature"),
        "bad signature": send(sig="ab" * 32),
        "stale timestamp": send(when=now - timedelta(minutes=6)),
        "future timestamp": send(when=now + timedelta(minutes=6)),
        "tampered body": send(raw=body + b" ") if body else send(sig="cd" * 32),
        "another partner's secret": send(secret=other_cred.secret),
        "revoked key": send(key=revoked.credential.public_id, secret=revoked.secret),
    }
    bodies = set()
    for name, resp in failures.items():
        assert resp.status_code == 401, (name, resp.text)
        bodies.add(resp.content)
    assert len(bodies) == 1  # one answer for every failure: nothing to learn from it
    assert not GameSession.objects.exists()
