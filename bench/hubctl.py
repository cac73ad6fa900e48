"""In-process Django helpers for the chaos and bench scripts (call ``setup(stack)`` first).

The orchestrating script points Django at the run's hub database and broker,
then uses the real services (``tenants.services.partner_onboard``) and the ORM
to onboard a partner and read the ledger. Game traffic itself goes over HTTP.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

import httpx

from .common import Stack


def setup(stack: Stack) -> None:
    stack.configure_this_process()
    import django

    django.setup()


@dataclass
class WiredPartner:
    partner_id: str
    slug: str  # sandbox tenant slug
    igsp_api_key: str
    igsp_secret: str
    game_id: str  # TraderHero


def onboard(stack: Stack, *, slug: str, default_balance: str = "1000.00") -> WiredPartner:
    """A partner speaking IGSP, wired to the sandbox tenant ``slug`` with the keys the hub issued."""
    from catalog.models import Game
    from sandbox.client import SandboxClient
    from tenants import services
    from tenants.models import CredentialPurpose

    result = services.partner_onboard(
        name=f"{stack.name} partner",
        actor=f"bench:{stack.name}",
        igsp=True,
        public_api=False,
        default_currency="USD",
        allowed_currencies=["EUR"],
        igsp_hooks_url=f"{stack.sandbox_url}/t/{slug}/igsp/hooks",
    )
    igsp = result.credentials[CredentialPurpose.IGSP]
    with SandboxClient(stack.sandbox_url) as sb:
        sb.configure_tenant(
            slug,
            name=f"{stack.name} casino",
            igsp_api_key=igsp.credential.public_id,
            igsp_secret=igsp.secret,
            default_balance=default_balance,
            default_currency="USD",
            faults={},
        )
    game = Game.objects.get(slug=Game.TRADERHERO_JACKPOT)
    return WiredPartner(
        partner_id=str(result.partner.pk),
        slug=slug,
        igsp_api_key=igsp.credential.public_id,
        igsp_secret=igsp.secret,
        game_id=str(game.pk),
    )


@dataclass
class PlayerSession:
    player_id: str
    session_id: str  # ours (gsID)
    key: str  # X-Casino-Key
    partner_ref: str


def create_session(
    client: httpx.Client,
    stack: Stack,
    wired: WiredPartner,
    *,
    player_id: str,
    balance: str = "1000.00",
    currency: str = "USD",
) -> PlayerSession:
    """POST /igsp/v1/sessions, HMAC-signed as the partner would; parse the launch URL for id and key."""
    from core import signing

    ref = f"{stack.name}-{uuid.uuid4().hex[:12]}"
    body = json.dumps(
        {
            "game_id": wired.game_id,
            "player_id": player_id,
            "player_name": player_id,
            "currency": currency,
            "session_id": ref,
            "balance": balance,
            "device": "desktop",
        },
        separators=(",", ":"),
    ).encode()
    headers = signing.igsp_headers(wired.igsp_api_key, wired.igsp_secret, body)
    headers["Content-Type"] = "application/json"
    response = client.post(f"{stack.hub_url}/igsp/v1/sessions", content=body, headers=headers)
    if response.status_code != 201:
        raise RuntimeError(f"session create answered {response.status_code}: {response.text[:300]}")
    url = urlsplit(response.json()["url"])
    session_id = url.path.rstrip("/").rsplit("/", 1)[-1]
    key = dict(part.split("=", 1) for part in url.fragment.split("&") if "=" in part)["key"]
    return PlayerSession(player_id=player_id, session_id=session_id, key=key, partner_ref=ref)


def bet_body(direction: str, amount: Decimal) -> bytes:
    return json.dumps({"direction": direction, "amount": str(amount)}).encode()
