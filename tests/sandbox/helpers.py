"""Helpers for the sandbox tests: a configured tenant and signed requests for both protocols."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from django.db import connection

from core import signing
from sandbox import services
from sandbox.models import SandboxAccount

IGSP_KEY = "gp_live_sandboxtest0001"
IGSP_SECRET = "91b2c7a4aadb48b62e0f3d5e6a7b8c9d"
INTEGRATION_KEY = "integration-key-for-tests"
SLUG = "lucky"


def uid() -> str:
    return str(uuid.uuid4())


def make_tenant(**overrides):
    data = {
        "name": "Lucky casino",
        "igsp_api_key": IGSP_KEY,
        "igsp_secret": IGSP_SECRET,
        "integration_api_key": INTEGRATION_KEY,
        "default_balance": "1000.00",
        "default_currency": "USD",
    }
    data.update(overrides)
    tenant, _ = services.tenant_upsert(slug=SLUG, data=data)
    return tenant


def balance_of(tenant, player_id: str, currency: str) -> Decimal:
    return SandboxAccount.objects.get(tenant=tenant, player_id=player_id, currency=currency).balance


def is_sqlite() -> bool:
    return connection.vendor == "sqlite"


# --------------------------------------------------------------------- IGSP --


def igsp_headers(body: bytes, *, key: str = IGSP_KEY, secret: str = IGSP_SECRET, now=None) -> dict[str, str]:
    return signing.igsp_headers(key, secret, body, now=now)


def igsp_body(action: str, **fields) -> dict:
    body = {"action": action, "player_id": "p1", "currency": "EUR"}
    if action != "balance":
        body.update(
            {
                "amount": Decimal("10.00"),
                "game_id": "g1",
                "transaction_id": uid(),
                "session_id": "s1",
                "type": {"bet": "bet", "win": "win", "refund": "bet"}[action],
            }
        )
    body.update(fields)
    return body


def encode(body) -> bytes:
    """JSON bytes with Decimal written as a JSON number (what the hub sends for IGSP)."""
    from sandbox import money

    return (
        money.dumps(body).encode()
        if not isinstance(body, (bytes, str))
        else (body.encode() if isinstance(body, str) else body)
    )


def igsp_call(client, body, *, slug: str = SLUG, headers: dict | None = None, **sign):
    raw = encode(body)
    hdrs = headers if headers is not None else igsp_headers(raw, **sign)
    return client.post(f"/t/{slug}/igsp/hooks", data=raw, content_type="application/json", headers=hdrs)


# --------------------------------------------------------------- Public API --


def adapter_post(
    client,
    action: str,
    payload: dict,
    *,
    slug: str = SLUG,
    key: str = INTEGRATION_KEY,
    raw: bytes | None = None,
    sign: str | None = None,
):
    body, signature = signing.public_sign_body(key, payload)
    if raw is not None:
        body = raw
    return client.post(
        f"/t/{slug}/adapter/{action}",
        data=body,
        content_type="application/json",
        headers={"X-REQUEST-SIGN": sign if sign is not None else signature},
    )


def adapter_balance(client, session_id: str, *, slug: str = SLUG, key: str = INTEGRATION_KEY):
    signature = signing.public_sign(key, signing.canonical_query({"sessionID": session_id}))
    return client.get(f"/t/{slug}/adapter/balance", {"sessionID": session_id}, headers={"X-REQUEST-SIGN": signature})


def bet_payload(session_id: str, amount: str = "10.00", **fields) -> dict:
    body = {"type": "regular", "sessionID": session_id, "amount": amount, "txID": uid(), "roundID": uid()}
    body.update(fields)
    return body


# ------------------------------------------------------------- live server --


def stale(minutes: int = 10):
    return datetime.now(UTC) - timedelta(minutes=minutes)


def live_igsp(client: httpx.Client, body, *, timeout=None, **sign) -> httpx.Response:
    raw = encode(body)
    kwargs = {"timeout": timeout} if timeout is not None else {}
    return client.post(
        f"/t/{SLUG}/igsp/hooks",
        content=raw,
        headers={"Content-Type": "application/json", **igsp_headers(raw, **sign)},
        **kwargs,
    )


def live_adapter(client: httpx.Client, action: str, payload: dict, *, timeout=None) -> httpx.Response:
    body, signature = signing.public_sign_body(INTEGRATION_KEY, payload)
    kwargs = {"timeout": timeout} if timeout is not None else {}
    return client.post(
        f"/t/{SLUG}/adapter/{action}",
        content=body,
        headers={"Content-Type": "application/json", "X-REQUEST-SIGN": signature},
        **kwargs,
    )


def loads(response) -> dict:
    return json.loads(response.content, parse_float=Decimal)
