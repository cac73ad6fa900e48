"""Bad input never gets a 5xx: every endpoint a partner or a game page calls, correctly signed, with each
field of a valid request replaced by values of the wrong type, size or shape, and with bodies that are not
JSON objects at all. Every answer must be a 4xx (or a 2xx where the variation is still valid) in the
protocol's own error shape, and a refused request writes nothing."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core import signing
from tests.conftest import igsp_signed_headers
from wallet import services as wallet_services
from wallet.models import GameSession

pytestmark = pytest.mark.django_db

ODD_VALUES = [
    None,
    "",
    " ",
    0,
    -1,
    10**30,
    1.5e308,
    -0.0,
    True,
    [],
    {},
    [1, 2],
    {"a": {"b": [None]}},
    "NaN",
    "Infinity",
    "-1",
    "1e999",
    "0.000000001",
    "x" * 5000,
    "\u0000",
    "\ud7ff\ue000",
    "' OR 1=1 --",
    "../../etc/passwd",
    "2026-13-45T99:99:99Z",
    str(uuid.uuid4()),
]
RAW_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"a string"',
    b"123",
    b"{",
    b"\xff\xfe\x00",
    b"[" * 2000 + b"]" * 2000,
    b"[" * 100_000 + b"]" * 100_000,
    b'{"amount": 1e999}',
    b'{"amount": -1e-999}',
    b'{"a": 1, "a": 2}',
    b"{}",
]


def _mutations(base: dict):
    """(label, raw body) for each variation of a valid body."""
    for key in base:
        rest = {k: v for k, v in base.items() if k != key}
        yield f"without {key}", json.dumps(rest).encode()
        for value in ODD_VALUES:
            yield f"{key}={value!r:.40}", json.dumps({**base, key: value}).encode()
    yield "unknown field", json.dumps({**base, "unexpected": {"deep": [1]}}).encode()
    for raw in RAW_BODIES:
        yield f"raw {raw[:20]!r}", raw


def _error_shape(protocol: str, body: dict) -> bool:
    if protocol == "public_api":  # core-api.yaml ErrorResponse: message required, code optional
        return isinstance(body.get("message"), str) and isinstance(body.get("code", ""), str)
    return isinstance(body.get("error"), str) and isinstance(body.get("message"), str)


class Sweep(list):
    """What went wrong (a 5xx, a non-JSON or mis-shaped error), and how many variations were accepted."""

    accepted = 0


def _sweep(send, base: dict, protocol: str) -> Sweep:
    problems = Sweep()
    for label, raw in _mutations(base):
        resp = send(raw)
        if resp.status_code >= 500:
            problems.append(f"{label}: {resp.status_code} {resp.content[:200]!r}")
            continue
        if 200 <= resp.status_code < 300:
            problems.accepted += 1
            continue
        try:
            body = json.loads(resp.content)
        except ValueError:
            problems.append(f"{label}: {resp.status_code} not JSON {resp.content[:100]!r}")
            continue
        if not _error_shape(protocol, body):
            problems.append(f"{label}: {resp.status_code} shape {body!r:.200}")
    return problems


def _igsp_poster(client: APIClient, partner, path: str):
    def send(raw: bytes):
        return client.generic(
            "POST",
            path,
            raw,
            content_type="application/json",
            **igsp_signed_headers(partner.api_key, partner.secret, raw),
        )

    return send


def _public_poster(client: APIClient, partner, path: str, method: str = "POST"):
    def send(raw: bytes):
        try:  # a partner signs the canonical form of what it sends; garbage is signed as it is
            canonical = signing.canonicalize_raw(raw)
        except signing.SignatureError:
            canonical = raw
        sig = signing.public_sign(partner.api_key, canonical)
        return client.generic(method, path, raw, content_type="application/json", HTTP_X_REQUEST_SIGN=sig)

    return send


def test_igsp_session_creation(igsp_partner, games_catalog):
    base = {
        "game_id": "traderhero-jackpot",
        "player_id": "player-912",
        "player_name": "LuckyFox",
        "currency": "USD",
        "session_id": "sess-1",
        "balance": 100.5,
        "device": "desktop",
        "language": "en",
        "return_url": "https://casino.example/lobby",
        "deposit_url": "https://casino.example/cashier",
        "is_demo": False,
    }
    before = GameSession.objects.count()
    problems = _sweep(_igsp_poster(APIClient(), igsp_partner, "/igsp/v1/sessions"), base, "igsp")
    assert problems == []
    # A refused request writes nothing: one session per accepted variation (a new session_id, is_demo…).
    assert GameSession.objects.count() - before == problems.accepted


def test_igsp_demo_sessions(games_catalog):
    client = APIClient()
    base = {
        "game_id": "prediction-markets",
        "player_id": "demo-1",
        "currency": "USD",
        "balance": 50,
        "language": "en",
        "device": "mobile",
    }
    problems = _sweep(
        lambda raw: client.generic("POST", "/igsp/v1/demo/sessions", raw, content_type="application/json"), base, "igsp"
    )
    assert [p for p in problems if "429" not in p] == []


def test_igsp_inbound_hooks(igsp_partner):
    base = {
        "action": "bet",
        "player_id": "p-1",
        "currency": "USD",
        "amount": 5.25,
        "game_id": "traderhero-jackpot",
        "transaction_id": "ext-tx-1",
        "session_id": "sess-1",
        "type": "bet",
        "round_id": "r-1",
        "finished": True,
    }
    assert _sweep(_igsp_poster(APIClient(), igsp_partner, "/igsp/v1/hooks"), base, "igsp") == []


@pytest.mark.parametrize("path", ["/igsp/v1/providers", "/igsp/v1/games"])
def test_igsp_listing_query_parameters(igsp_partner, games_catalog, path):
    client, problems = APIClient(), []
    for name in ("limit", "cursor", "updated_after", "unknown"):
        for value in ODD_VALUES:
            query = f"{name}={json.dumps(value)[:5000]}"
            resp = client.get(f"{path}?{query}", **igsp_signed_headers(igsp_partner.api_key, igsp_partner.secret))
            if resp.status_code >= 500:
                problems.append(f"{query[:60]}: {resp.status_code}")
    assert problems == []


@pytest.fixture
def demo_session(games_catalog):
    from catalog.models import Game

    created = wallet_services.session_create(
        protocol="igsp",
        game=Game.objects.get(slug="prediction-markets"),
        player_id="fuzz",
        currency="USD",
        is_demo=True,
        demo_balance=Decimal("1000"),
    )
    return created


@pytest.mark.parametrize(
    ("action", "base"),
    [
        ("bet", {"marketId": None, "outcome": "YES", "amount": "2.00"}),
        ("cash-out/preview", {"betId": None}),
        ("cash-out", {"betId": None, "minValue": "0.01"}),
    ],
)
def test_session_api_bodies(demo_session, action, base):
    from games.models import Market

    market = Market.objects.filter(status="open").first() or Market.objects.create(
        title="Fuzz", b=Decimal("100"), close_at="2099-01-01T00:00:00Z"
    )
    client = APIClient()
    sid = demo_session.session.pk
    placed = client.post(
        f"/igsp/v1/sessions/{sid}/bet",
        {"marketId": str(market.pk), "outcome": "NO", "amount": "1.00"},
        format="json",
        HTTP_X_CASINO_KEY=demo_session.key,
    )
    assert placed.status_code == 201, placed.content
    base = {**base, **({"marketId": str(market.pk)} if "marketId" in base else {"betId": placed.json()["betId"]})}
    send = lambda raw: client.generic(  # noqa: E731
        "POST",
        f"/igsp/v1/sessions/{sid}/{action}",
        raw,
        content_type="application/json",
        HTTP_X_CASINO_KEY=demo_session.key,
    )
    assert _sweep(send, base, "igsp") == []


def test_session_api_paths_and_keys(demo_session):
    client, problems = APIClient(), []
    for session_id in ["x", "0" * 500, str(uuid.uuid4()), "%00", str(demo_session.session.pk)]:
        for key in ["", "igsp_", "x" * 5000, demo_session.key + "x", demo_session.key]:
            for path in ("state", "balance", f"bets/{uuid.uuid4()}", "bets/not-a-uuid"):
                resp = client.get(f"/igsp/v1/sessions/{session_id}/{path}", HTTP_X_CASINO_KEY=key)
                if resp.status_code >= 500:
                    problems.append(f"{session_id[:20]} {key[:10]} {path}: {resp.status_code}")
    assert problems == []


def test_core_api_create_new_game(public_partner, games_catalog):
    base = {
        "cID": str(public_partner.pk),
        "extCID": public_partner.ext_cid,
        "gameID": "traderhero-jackpot",
        "demo": False,
        "platform": "desktop",
        "currency": "USD",
        "locale": "en_us",
        "sessionID": "ext-1",
        "returnURL": "https://casino.example/lobby",
        "user": {"id": "u-1", "country": "DE"},
    }
    before = GameSession.objects.count()
    problems = _sweep(_public_poster(APIClient(), public_partner, "/api/v1/create-new-game"), base, "public_api")
    assert problems == []
    assert GameSession.objects.count() - before == problems.accepted


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_core_api_free_rounds(public_partner, games_catalog, method):
    base = {
        "extID": "fr-1",
        "cID": str(public_partner.pk),
        "extCID": public_partner.ext_cid,
        "currency": "USD",
        "quantity": 5,
        "betLine": 1,
        "validFrom": "2026-01-01T00:00:00.000Z",
        "validUntil": "2099-01-01T00:00:00.000Z",
        "gameIDs": ["traderhero-jackpot"],
        "userIDs": ["u-1"],
    }
    if method == "DELETE":
        base = {"extID": "fr-1", "cID": str(public_partner.pk), "extCID": public_partner.ext_cid}
    send = _public_poster(APIClient(), public_partner, "/api/v1/free-rounds", method)
    assert _sweep(send, base, "public_api") == []
