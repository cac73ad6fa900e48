"""Inbound ``action=balance`` hooks over real HTTP: a late, older report never overwrites a newer balance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from core import signing
from wallet.models import GameSession

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


def post(http, partner, path: str, body: dict, when: datetime) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = signing.igsp_headers(partner.api_key, partner.secret, raw, now=when)
    return http.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})


def hook(amount, **over) -> dict:
    return {
        "action": "balance",
        "player_id": "player-1",
        "currency": "EUR",
        "amount": amount,
        "session_id": "sess-bal-1",
        **over,
    }


@pytest.fixture
def session(http, igsp_partner, game):
    body = {
        "game_id": "traderhero-jackpot",
        "player_id": "player-1",
        "player_name": "Fox",
        "currency": "EUR",
        "session_id": "sess-bal-1",
        "balance": 100,
    }
    resp = post(http, igsp_partner, "/igsp/v1/sessions", body, datetime.now(UTC))
    assert resp.status_code == 201, resp.text
    return GameSession.objects.get(partner=igsp_partner)


def last_balance(session) -> Decimal:
    return GameSession.objects.values_list("last_balance", flat=True).get(pk=session.pk)


def test_an_older_balance_hook_arriving_late_does_not_overwrite_a_newer_one(http, igsp_partner, session):
    now = datetime.now(UTC)
    newer = post(http, igsp_partner, "/igsp/v1/hooks", hook(50), now + timedelta(seconds=60))
    assert newer.status_code == 200
    assert newer.json()["reconciled"] is True

    late = post(http, igsp_partner, "/igsp/v1/hooks", hook(80), now + timedelta(seconds=30))

    assert late.status_code == 200
    assert last_balance(session) == Decimal("50")
    assert late.json()["reconciled"] is False
    assert late.json()["stale"] is True
    newest = post(http, igsp_partner, "/igsp/v1/hooks", hook(60), now + timedelta(seconds=90))
    assert newest.status_code == 200
    assert newest.json()["stale"] is False
    assert last_balance(session) == Decimal("60")


def test_a_balance_hook_signed_before_the_session_was_created_is_ignored(http, igsp_partner, session):
    before = datetime.now(UTC) - timedelta(seconds=120)

    resp = post(http, igsp_partner, "/igsp/v1/hooks", hook(1), before)

    assert resp.status_code == 200
    assert last_balance(session) == Decimal("100")
    assert resp.json()["stale"] is True


def test_two_balance_hooks_in_the_same_second_apply_in_arrival_order(http, igsp_partner, session):
    """IGSP timestamps have one-second resolution: within one second the later arrival is the newer report."""
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    assert post(http, igsp_partner, "/igsp/v1/hooks", hook(50), when).json()["stale"] is False

    again = post(http, igsp_partner, "/igsp/v1/hooks", hook(55), when)

    assert again.status_code == 200
    assert again.json()["stale"] is False
    assert last_balance(session) == Decimal("55")


def test_a_balance_hook_older_than_the_hubs_own_wallet_read_is_ignored(wired, games_catalog):
    """The hub's own reads of the partner's wallet are balance updates too (at the hub's clock)."""
    cred = wired.credentials["igsp"]
    partner = wired.partner
    partner.api_key, partner.secret = cred.credential.public_id, cred.secret
    with httpx.Client(base_url=partner.igsp_hooks_url.split("/t/")[0], timeout=10) as http:
        body = {
            "game_id": "traderhero-jackpot",
            "player_id": "player-1",
            "player_name": "Fox",
            "currency": "USD",
            "session_id": "sess-bal-2",
            "balance": 100,
        }
        created = post(http, partner, "/igsp/v1/sessions", body, datetime.now(UTC))
        assert created.status_code == 201, created.text
        session_id, key = created.json()["url"].split("/launch/")[1].split("#key=")
        live = http.get(f"/igsp/v1/sessions/{session_id}/balance", headers={"X-Casino-Key": key})
        assert live.status_code == 200
        assert Decimal(live.json()["balance"]) == Decimal("1000")

        resp = post(
            http,
            partner,
            "/igsp/v1/hooks",
            hook(7, currency="USD", session_id="sess-bal-2"),
            datetime.now(UTC) - timedelta(seconds=30),
        )

    assert resp.status_code == 200
    assert GameSession.objects.values_list("last_balance", flat=True).get(pk=session_id) == Decimal("1000")
    assert resp.json()["stale"] is True
