"""The Core API over real HTTP, signed as the official SDKs sign (RFC 8785), validated against core-api.yaml;
the sandbox is the integrator's wallet."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from catalog.models import BetLine
from core import signing
from tenants import services as tenant_services
from tests import contracts
from wallet import delivery
from wallet.models import GameSession, Transaction, TxKind


@pytest.fixture
def http(live_hub):
    with httpx.Client(base_url=live_hub.url, timeout=10) as client:
        yield client


def api_key(wired) -> str:
    return wired.credentials["core_api"].secret


def post(http, wired, path, payload, *, key=None, raw=None, method="POST"):
    body, sig = signing.public_sign_body(key or api_key(wired), payload)
    return http.request(
        method,
        f"/api/v1{path}",
        content=raw if raw is not None else body,
        headers={"X-REQUEST-SIGN": sig, "Content-Type": "application/json"},
    )


def game_request(wired, **over):
    body = {
        "cID": str(wired.partner.pk),
        "extCID": wired.slug,
        "gameID": "traderhero-jackpot",
        "demo": False,
        "platform": "desktop",
        "currency": "USD",
        "locale": "en_us",
        "sessionID": "ext-sess-1",
        "returnURL": "https://casino.example/lobby",
        "depositURL": "https://casino.example/deposit",
        "user": {"id": "u-77", "nickName": "Zed", "country": "DE"},
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def test_create_real_game_and_play_through_reverse_calls(http, wired, games_catalog, settings):
    settings.HUB_JACKPOT_ROUND_SECONDS = 0
    resp = post(http, wired, "/create-new-game", game_request(wired))
    assert resp.status_code == 200, resp.text
    contracts.validate_response("core-api", "/create-new-game", resp)
    body = resp.json()
    assert body["gameURL"].endswith(f"/launch/{body['gsID']}" + body["gameURL"].split(body["gsID"])[1])
    session = GameSession.objects.get(pk=body["gsID"])
    assert session.partner_session_ref == "ext-sess-1" and session.player_id == "u-77"
    assert session.ext_client.ext_cid == wired.slug and session.language == "en_us"
    wired.sandbox.register_session(wired.slug, "ext-sess-1", "u-77", "USD", balance="100.00")
    key = body["gameURL"].split("#key=")[1]
    played = http.post(
        f"/igsp/v1/sessions/{body['gsID']}/bet",
        headers={"X-Casino-Key": key},
        json={"direction": "up", "amount": "4.00"},
    )
    assert played.status_code == 201, played.text
    win = Transaction.objects.get(kind=TxKind.WIN)
    assert delivery.deliver(win.pk) == "delivered"
    account = wired.sandbox.get_account(wired.slug, "u-77", "USD")
    assert Decimal(account["balance"]) == Decimal("96.00") + Decimal(played.json()["payout"])


def test_create_demo_game_uses_our_balance(http, wired, games_catalog):
    resp = post(
        http,
        wired,
        "/create-new-game",
        game_request(wired, demo=True, sessionID=None, user=None, initDemoBalance="250.00"),
    )
    assert resp.status_code == 200, resp.text
    session = GameSession.objects.get(pk=resp.json()["gsID"])
    assert session.is_demo and session.demo_balance == Decimal("250.00")
    default = post(http, wired, "/create-new-game", game_request(wired, demo=True, sessionID=None, user=None))
    assert GameSession.objects.get(pk=default.json()["gsID"]).demo_balance == Decimal("10000.00")


def test_body_formatted_differently_but_correctly_signed_is_accepted(http, wired, games_catalog):
    payload = game_request(wired)
    pretty = json.dumps(payload, indent=3, sort_keys=False).encode()
    resp = post(http, wired, "/create-new-game", payload, raw=pretty)
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize(
    "over,status,code",
    [
        ({"gameID": "sg_catch_97"}, 404, "game_not_found"),
        ({"currency": "JPY"}, 400, "currency_not_supported"),
        ({"locale": "xx_yy"}, 400, "locale_not_supported"),
        ({"extCID": "someone-elses"}, 404, None),
        ({"sessionID": None}, 400, None),
        ({"user": None}, 400, None),
        ({"platform": "console"}, 400, None),
        ({"demo": "yes"}, 400, None),
        ({"demo": True, "initDemoBalance": "-5"}, 400, None),
    ],
)
def test_create_new_game_errors_use_the_contract_shape(http, wired, games_catalog, over, status, code):
    resp = post(http, wired, "/create-new-game", game_request(wired, **over))
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert isinstance(body["message"], str) and body["message"]
    assert body.get("code") == code
    assert set(body) <= {"message", "details", "code"}
    assert not GameSession.objects.exists()


def test_account_blocked(http, wired, games_catalog):
    tenant_services.partner_suspend(partner=wired.partner, actor="t")
    resp = post(http, wired, "/create-new-game", game_request(wired))
    assert resp.status_code == 403 and resp.json()["code"] == "account_blocked"


def test_auth_failures_are_401(http, wired, games_catalog):
    other = tenant_services.partner_onboard(
        name="Other",
        actor="t",
        igsp=False,
        public_api=True,
        ext_clients=[{"ext_cid": "o-1", "base_url": "https://o.example"}],
    )
    for resp in (
        post(http, wired, "/create-new-game", game_request(wired), key="wrong-key"),
        post(http, wired, "/create-new-game", game_request(wired), key=other.credentials["core_api"].secret),
        post(http, wired, "/create-new-game", game_request(wired, cID="00000000-0000-0000-0000-000000000000")),
        http.post("/api/v1/create-new-game", json=game_request(wired)),
    ):
        assert resp.status_code == 401, resp.text
        contracts.validate_response("core-api", "/create-new-game", resp)


def games_get(http, wired, **params):
    query = {"cID": str(wired.partner.pk), "extCID": wired.slug, **params}
    sig = signing.public_sign(api_key(wired), signing.canonical_query(query))
    return http.get("/api/v1/games", params=query, headers={"X-REQUEST-SIGN": sig, "Accept-Encoding": "gzip"})


def test_games_list_schema_bet_lines_and_gzip(http, wired, games_catalog):
    jackpot = games_catalog["traderhero-jackpot"]
    BetLine.objects.filter(game=jackpot, currency="USD", position=1).update(
        max_bet=Decimal("0.10"), max_multiplier=Decimal("5")
    )
    resp = games_get(http, wired)
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("content-encoding") == "gzip"
    contracts.validate_response("core-api", "/games", resp)
    games = {g["id"]: g for g in resp.json()}
    assert {"prediction-markets", "traderhero-jackpot"} <= set(games)
    assert games["prediction-markets"]["hasFreeSpins"] is False  # free rounds are TraderHero's
    th = games["traderhero-jackpot"]
    assert th["hasFreeSpins"] is True and th["rtp"] == 95
    usd = next(b for b in th["betLines"] if b["currency"] == "USD")
    assert usd["values"][0] == {"maxBet": "0.10", "maxCoeff": "5.00"}
    lean = games_get(http, wired, excludeBetLines="true")
    assert all("betLines" not in g and g["hasFreeSpins"] is False for g in lean.json())
    # Cache invalidation: a catalog change shows up at once.
    jackpot.name = "TraderHero Jackpot Deluxe"
    jackpot.save()
    assert {g["title"] for g in games_get(http, wired).json()} >= {"TraderHero Jackpot Deluxe"}
    raw = httpx.get(
        f"{http.base_url}/api/v1/games",
        params={"cID": str(wired.partner.pk), "extCID": wired.slug},
        headers={
            "X-REQUEST-SIGN": signing.public_sign(
                api_key(wired), signing.canonical_query({"cID": str(wired.partner.pk), "extCID": wired.slug})
            ),
            "Accept-Encoding": "gzip",
        },
    )
    assert raw.status_code == 200 and json.loads(
        gzip.decompress(raw.read())
        if raw.headers.get("content-encoding") == "gzip" and raw.content[:2] == b"\x1f\x8b"
        else raw.content
    )


def free_rounds_body(wired, **over):
    body = {
        "extID": "fr-1",
        "cID": str(wired.partner.pk),
        "extCID": wired.slug,
        "currency": "USD",
        "quantity": 3,
        "betLine": 1,
        "validFrom": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "gameIDs": ["traderhero-jackpot"],
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def bet_lines(games_catalog):
    jackpot = games_catalog["traderhero-jackpot"]
    BetLine.objects.filter(game=jackpot, currency="USD", position=1).update(
        max_bet=Decimal("0.50"), max_multiplier=Decimal("5")
    )
    return jackpot


def test_free_rounds_create_conflict_cancel_and_not_found(http, wired, bet_lines):
    resp = post(http, wired, "/free-rounds", free_rounds_body(wired))
    assert resp.status_code == 200, resp.text
    contracts.validate_response("core-api", "/free-rounds", resp)
    assert resp.json()["extID"] == "fr-1"
    dup = post(http, wired, "/free-rounds", free_rounds_body(wired))
    assert dup.status_code == 409 and dup.json()["message"]
    for bad in (
        {"quantity": 0},
        {"quantity": 100},
        {"betLine": 0},
        {"betLine": 100},
        {"betLine": 7},
        {"validUntil": (timezone.now() + timedelta(days=31)).isoformat(), "extID": "fr-x"},
        {"currency": "JPY", "extID": "fr-y"},
    ):
        assert post(http, wired, "/free-rounds", free_rounds_body(wired, **bad)).status_code in (400, 404, 409)
    gone = post(
        http,
        wired,
        "/free-rounds",
        {"cID": str(wired.partner.pk), "extCID": wired.slug, "extID": "fr-1"},
        method="DELETE",
    )
    assert gone.status_code == 200, gone.text
    missing = post(
        http,
        wired,
        "/free-rounds",
        {"cID": str(wired.partner.pk), "extCID": wired.slug, "extID": "nope"},
        method="DELETE",
    )
    assert missing.status_code == 404
    contracts.validate_response("core-api", "/free-rounds", missing)


def test_free_rounds_play_and_bonus_withdrawal(http, wired, bet_lines, settings):
    settings.HUB_JACKPOT_ROUND_SECONDS = 0
    assert post(http, wired, "/free-rounds", free_rounds_body(wired, userIDs=["u-77"])).status_code == 200
    game = post(http, wired, "/create-new-game", game_request(wired)).json()
    wired.sandbox.register_session(wired.slug, "ext-sess-1", "u-77", "USD", balance="100.00")
    headers = {"X-Casino-Key": game["gameURL"].split("#key=")[1]}
    payouts = []
    for _ in range(3):
        r = http.post(
            f"/igsp/v1/sessions/{game['gsID']}/bet", headers=headers, json={"direction": "up", "amount": "9.99"}
        )
        assert r.status_code == 201, r.text
        assert r.json()["freeRound"] is True and r.json()["stake"] == "0.50"
        payouts.append(Decimal(r.json()["payout"]))
    free_bets = Transaction.objects.filter(kind=TxKind.BET)
    assert {(t.tx_type, t.free_rounds_id, t.amount) for t in free_bets} == {("free", "fr-1", Decimal("0.50"))}
    bonus = Transaction.objects.get(kind=TxKind.WIN, tx_type="regular", free_rounds_id="fr-1")
    assert bonus.amount == min(sum(payouts), Decimal("0.50") * 5 * 3)
    for tx in Transaction.objects.filter(kind=TxKind.WIN):
        assert delivery.deliver(tx.pk) == "delivered"
    # Free bets and free wins moved no real money; only the bonus did.
    account = wired.sandbox.get_account(wired.slug, "u-77", "USD")
    assert Decimal(account["balance"]) == Decimal("100.00") + bonus.amount
    # The allotment is used up: the next bet is a regular one.
    r = http.post(f"/igsp/v1/sessions/{game['gsID']}/bet", headers=headers, json={"direction": "up", "amount": "1.00"})
    assert r.status_code == 201 and r.json()["freeRound"] is False


def test_one_partner_session_may_open_several_games(http, wired, games_catalog):
    first = post(http, wired, "/create-new-game", game_request(wired))
    second = post(http, wired, "/create-new-game", game_request(wired, gameID="prediction-markets"))
    assert first.status_code == second.status_code == 200
    assert first.json()["gsID"] != second.json()["gsID"]


def test_absurd_demo_balance_is_a_400_not_a_500(http, wired, games_catalog):
    resp = post(
        http,
        wired,
        "/create-new-game",
        game_request(wired, demo=True, sessionID=None, user=None, initDemoBalance="1" + "0" * 40),
    )
    assert resp.status_code == 400 and resp.json()["message"]


def test_a_captured_free_rounds_create_body_cannot_be_replayed_as_a_cancel(http, wired, bet_lines):
    """The Core API signs only the body: a create body (extID, cID, extCID and more) sent to DELETE with its
    own valid signature must not cancel the campaign. DELETE accepts exactly its own request shape."""
    from freerounds.models import CampaignStatus, FreeRoundsCampaign

    create = free_rounds_body(wired)
    assert post(http, wired, "/free-rounds", create).status_code == 200

    replayed = post(http, wired, "/free-rounds", create, method="DELETE")

    assert replayed.status_code == 400, replayed.text
    assert FreeRoundsCampaign.objects.get(ext_id="fr-1").status != CampaignStatus.CANCELLED
    message = replayed.json()["message"]
    assert set(replayed.json()) <= {"message", "details", "code"}
    assert "quantity" in message and "not allowed" in message


@pytest.mark.parametrize("extra", [{"quantity": 3}, {"unknown": "x"}, {"gameIDs": ["traderhero-jackpot"]}])
def test_free_rounds_cancel_refuses_fields_beyond_its_request_shape(http, wired, bet_lines, extra):
    from freerounds.models import CampaignStatus, FreeRoundsCampaign

    assert post(http, wired, "/free-rounds", free_rounds_body(wired)).status_code == 200
    body = {"cID": str(wired.partner.pk), "extCID": wired.slug, "extID": "fr-1", **extra}

    resp = post(http, wired, "/free-rounds", body, method="DELETE")

    assert resp.status_code == 400, resp.text
    assert FreeRoundsCampaign.objects.get(ext_id="fr-1").status != CampaignStatus.CANCELLED
    exact = post(
        http,
        wired,
        "/free-rounds",
        {"cID": str(wired.partner.pk), "extCID": wired.slug, "extID": "fr-1"},
        method="DELETE",
    )
    assert exact.status_code == 200


def test_a_free_round_bet_with_a_malformed_amount_is_refused(http, wired, bet_lines, settings):
    """A free round plays the bet line's stake, but a body whose ``amount`` is not an amount is a client's
    mistake like any other (400 ``invalid_amount``, nothing written): the Session API's input serializer
    parses the body before the game decides which stake to play."""
    settings.HUB_JACKPOT_ROUND_SECONDS = 0
    assert post(http, wired, "/free-rounds", free_rounds_body(wired, userIDs=["u-77"])).status_code == 200
    game = post(http, wired, "/create-new-game", game_request(wired)).json()
    wired.sandbox.register_session(wired.slug, "ext-sess-1", "u-77", "USD", balance="100.00")
    headers = {"X-Casino-Key": game["gameURL"].split("#key=")[1]}
    url = f"/igsp/v1/sessions/{game['gsID']}/bet"
    for amount in ("abc", True, [1], "-1"):
        r = http.post(url, headers=headers, json={"direction": "up", "amount": amount})
        assert r.status_code == 400, (amount, r.text)
        assert r.json()["error"] == "invalid_amount", r.json()
    assert not Transaction.objects.exists()  # no bet, so no free round taken
    # Without an amount the free round is played at the bet line's stake, as ever.
    r = http.post(url, headers=headers, json={"direction": "up"})
    assert r.status_code == 201 and r.json()["freeRound"] is True and r.json()["stake"] == "0.50", r.text
