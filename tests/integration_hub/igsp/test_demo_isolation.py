"""Play money never moves real money, over real HTTP against the live hub and the sandbox wallet.

Demo sessions are free and open to anyone (``POST /igsp/v1/demo/sessions``, no HMAC), and partners open
their own (IGSP ``is_demo``, Public API ``demo: true``, the latter with the real player's id). None of
them may move the real LMSR book a real player trades against, count toward the real exposure limit,
take a real player's daily cash-out slot, receive a real player's free-rounds bonus, or show up in the
hub's transaction metrics.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from core import signing
from games.markets import lifecycle, lmsr
from games.models import Position
from wallet import delivery
from wallet.models import GameSession, Transaction, TxKind, TxStatus

MARGIN = Decimal("0.05")


@pytest.fixture
def http(live_hub, settings):
    settings.HUB_DEMO_SESSIONS_RATE = "10000/min"  # this file opens many demo sessions from one address
    settings.HUB_MARKET_MARGIN = MARGIN
    with httpx.Client(base_url=live_hub.url, timeout=20) as client:
        yield client


@pytest.fixture
def market(games_catalog):
    """A fresh open market whose YES opens at 0.43, as in the issue (b = 100, q_no − q_yes = 28.19)."""
    created = lifecycle.market_create(
        title="Demo isolation",
        b=Decimal("100"),
        q_yes=Decimal("0"),
        q_no=Decimal("28.19"),
        close_at=timezone.now() + timedelta(days=7),
        actor="test",
    )
    assert lmsr.prices(created.q_yes, created.q_no, created.b)[0] == Decimal("0.4300")
    return created


def _launch(url: str) -> tuple[str, dict]:
    sid, key = url.split("/launch/")[1].split("#key=")
    return sid, {"X-Casino-Key": key}


def igsp_session(
    http, wired, *, player: str, balance: str = "1000.00", currency: str = "USD", demo: bool = False
) -> tuple[str, dict]:
    """A session the wired partner opens (HMAC); a real one's balance is set in the sandbox wallet."""
    body = {
        "game_id": "prediction-markets",
        "player_id": player,
        "player_name": "Fox",
        "currency": currency,
        "session_id": f"s-{player}-{timezone.now().timestamp()}",
        "balance": "BALANCE",
        "is_demo": demo,
    }
    raw = json.dumps(body).replace('"BALANCE"', balance).encode()
    creds = wired.credentials["igsp"]
    headers = signing.igsp_headers(creds.credential.public_id, creds.secret, raw)
    resp = http.post("/igsp/v1/sessions", content=raw, headers={**headers, "Content-Type": "application/json"})
    assert resp.status_code == 201, resp.text
    if not demo:
        wired.sandbox.set_balance(wired.slug, player, currency, balance)
    return _launch(resp.json()["url"])


def free_demo_session(http, *, n: int, balance: str = "500", currency: str = "USD") -> tuple[str, dict]:
    """Anyone's demo session: no HMAC, no partner."""
    resp = http.post(
        "/igsp/v1/demo/sessions",
        json={
            "game_id": "prediction-markets",
            "player_id": f"guest-{n}",
            "player_name": "Guest",
            "currency": currency,
            "session_id": f"demo-{n}-{timezone.now().timestamp()}",
            "balance": int(balance),
        },
    )
    assert resp.status_code == 201, resp.text
    return _launch(resp.json()["url"])


def core_game(
    http, wired, *, demo: bool, user_id: str, session_ref: str | None = None, game: str = "prediction-markets"
) -> tuple[str, dict]:
    """A Public API game (create-new-game, signed with the Core API key)."""
    payload = {
        "cID": str(wired.partner.pk),
        "extCID": wired.slug,
        "gameID": game,
        "demo": demo,
        "platform": "desktop",
        "currency": "USD",
        "locale": "en_us",
        "user": {"id": user_id, "nickName": "Zed", "country": "DE"},
    }
    if session_ref:
        payload["sessionID"] = session_ref
    body, sig = signing.public_sign_body(wired.credentials["core_api"].secret, payload)
    resp = http.post(
        "/api/v1/create-new-game", content=body, headers={"X-REQUEST-SIGN": sig, "Content-Type": "application/json"}
    )
    assert resp.status_code == 200, resp.text
    return _launch(resp.json()["gameURL"])


def yes_price(http, sid, key, market_id) -> Decimal:
    state = http.get(f"/igsp/v1/sessions/{sid}/state", headers=key)
    assert state.status_code == 200, state.text
    return next(Decimal(m["yesPrice"]) for m in state.json()["markets"] if m["id"] == str(market_id))


def place(http, sid, key, market_id, outcome: str, amount: str, expect: int = 201) -> dict:
    resp = http.post(
        f"/igsp/v1/sessions/{sid}/bet",
        headers=key,
        json={"marketId": str(market_id), "outcome": outcome, "amount": amount},
    )
    assert resp.status_code == expect, resp.text
    return resp.json()


def preview(http, sid, key, bet_id) -> Decimal:
    resp = http.post(f"/igsp/v1/sessions/{sid}/cash-out/preview", headers=key, json={"betId": bet_id})
    assert resp.status_code == 200, resp.text
    return Decimal(resp.json()["cashOutValue"])


def cash_out(http, sid, key, bet_id, expect: int = 200) -> dict:
    resp = http.post(f"/igsp/v1/sessions/{sid}/cash-out", headers=key, json={"betId": bet_id})
    assert resp.status_code == expect, resp.text
    return resp.json()


# ----------------------------------------------------------------- the issue --


def test_demo_bets_and_cash_outs_leave_the_real_price_and_the_real_cash_out_unchanged(http, wired, market):
    """The issue's scenario: 8 demo bets of 500 USD on YES, a real 500 USD on NO, the demo positions cashed
    out, then the real position. The real player must see exactly what they would with no demo play."""
    real, real_key = igsp_session(http, wired, player="p-real", balance="1000.00")
    opening = yes_price(http, real, real_key, market.pk)
    assert opening == Decimal("0.4300")

    demo_bets = []
    for n in range(8):
        sid, key = free_demo_session(http, n=n, balance="500")
        placed = place(http, sid, key, market.pk, "YES", "500.00")
        demo_bets.append((sid, key, placed["betId"]))
    assert Decimal(placed["market"]["yesPrice"]) > Decimal("0.99")  # demo play still moves the demo book
    assert yes_price(http, demo_bets[0][0], demo_bets[0][1], market.pk) > Decimal("0.99")

    assert yes_price(http, real, real_key, market.pk) == opening  # demo play never moves the real book

    real_bet = place(http, real, real_key, market.pk, "NO", "500.00")
    # The control: what 500 USD on NO buys, and is worth, on a book no demo session ever touched.
    shares = lmsr.shares_for_stake(market.q_yes, market.q_no, market.b, "NO", Decimal("500"))
    assert Decimal(real_bet["shares"]) == shares
    control = lmsr.cash_out_value(market.q_yes, market.q_no + shares, market.b, "NO", shares, MARGIN, 2)
    assert preview(http, real, real_key, real_bet["betId"]) == control < Decimal("500")

    for sid, key, bet_id in demo_bets:  # the demo positions come back out
        cash_out(http, sid, key, bet_id)
    assert preview(http, real, real_key, real_bet["betId"]) == control  # unchanged by demo cash-outs

    cashed = cash_out(http, real, real_key, real_bet["betId"])
    assert Decimal(cashed["cashOutValue"]) == control
    win = Transaction.objects.get(kind=TxKind.WIN, session_id=real)
    assert delivery.deliver(win.pk) == "delivered"
    balance = Decimal(wired.sandbox.get_account(wired.slug, "p-real", "USD")["balance"])
    assert balance == Decimal("1000.00") - Decimal("500.00") + control < Decimal("1000.00")  # the house lost nothing
    # No demo money reached the partner's wallet: its ledger holds the real bet and the real win only.
    assert Transaction.objects.filter(session__is_demo=True, status=TxStatus.PENDING).count() == 0
    assert all(str(tx.session_id) == real for tx in Transaction.objects.filter(session__partner=wired.partner))


def test_partner_opened_demo_sessions_trade_on_the_demo_book_too(http, wired, market):
    """A partner's own demo sessions (IGSP ``is_demo``, Public API ``demo: true``) have a partner and the
    real player's id, and still never touch the real book."""
    real, real_key = igsp_session(http, wired, player="p-1")
    opening = yes_price(http, real, real_key, market.pk)
    igsp_demo, igsp_demo_key = igsp_session(http, wired, player="p-1", balance="5000.00", demo=True)
    core_demo, core_demo_key = core_game(http, wired, demo=True, user_id="p-1")
    for sid, key in ((igsp_demo, igsp_demo_key), (core_demo, core_demo_key)):
        for _ in range(4):
            place(http, sid, key, market.pk, "YES", "500.00")
        assert yes_price(http, sid, key, market.pk) > opening
    assert yes_price(http, real, real_key, market.pk) == opening
    demo_positions = Position.objects.filter(session_id__in=[igsp_demo, core_demo])
    assert demo_positions.count() == 8
    assert all(p.demo for p in demo_positions)


def test_demo_positions_do_not_count_toward_the_real_exposure_limit(http, wired, market, settings):
    settings.HUB_MARKET_MAX_EXPOSURE = {"*": "1500"}
    accepted = 0
    for n in range(5):  # demo play fills the demo book up to its exposure limit
        sid, key = free_demo_session(http, n=n, balance="500")
        resp = http.post(
            f"/igsp/v1/sessions/{sid}/bet",
            headers=key,
            json={"marketId": str(market.pk), "outcome": "YES", "amount": "500.00"},
        )
        if resp.status_code != 201:
            assert resp.status_code == 400, resp.text
            assert resp.json()["error"] == "exposure_limit", resp.text
            break
        accepted += 1
    assert 1 < accepted < 5
    real, real_key = igsp_session(http, wired, player="p-exp")
    place(http, real, real_key, market.pk, "YES", "500.00")  # the real book's own exposure is what counts


def test_demo_cash_outs_never_take_a_real_players_daily_slot(http, wired, market, settings):
    """A Public API demo game carries the real player's id (and the partner): its cash-outs must count on
    their own, not against the real player's HUB_CASHOUT_LIMIT_PER_DAY."""
    settings.HUB_CASHOUT_LIMIT_PER_DAY = 2
    demo_games = [
        core_game(http, wired, demo=True, user_id="u-77"),
        igsp_session(http, wired, player="u-77", balance="100.00", demo=True),
    ]
    for demo_sid, demo_key in demo_games:
        bet = place(http, demo_sid, demo_key, market.pk, "NO", "5.00")
        cash_out(http, demo_sid, demo_key, bet["betId"])
    bet = place(http, *demo_games[0], market.pk, "NO", "5.00")
    assert cash_out(http, *demo_games[0], bet["betId"], expect=429)["error"] == "cashout_limit"  # demo's own count
    real, real_key = core_game(http, wired, demo=False, user_id="u-77", session_ref="ext-real-1")
    wired.sandbox.register_session(wired.slug, "ext-real-1", "u-77", "USD", balance="100.00")
    for _ in range(2):  # the real player's two cash-outs of the day are all still there
        bet = place(http, real, real_key, market.pk, "NO", "5.00")
        cash_out(http, real, real_key, bet["betId"])


def test_settling_a_market_pays_demo_positions_in_demo_money_only(http, wired, market, monkeypatch):
    from games.markets import settlement

    real, real_key = igsp_session(http, wired, player="p-set", balance="100.00")
    demo, demo_key = free_demo_session(http, n=1, balance="100")
    real_bet = place(http, real, real_key, market.pk, "YES", "10.00")
    demo_bet = place(http, demo, demo_key, market.pk, "YES", "10.00")
    assert settlement.market_settle(market_id=market.pk, action="resolve", outcome="YES", actor="t") == 2
    demo_win = Transaction.objects.get(kind=TxKind.WIN, session_id=demo)
    assert demo_win.status == TxStatus.CONFIRMED
    assert demo_win.delivery_attempts.count() == 0  # no partner call
    won = Decimal(demo_bet["shares"]).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert demo_win.amount == won
    assert GameSession.objects.get(pk=demo).demo_balance == Decimal("90.00") + won
    real_win = Transaction.objects.get(kind=TxKind.WIN, session_id=real)
    assert real_win.status == TxStatus.PENDING
    assert real_win.amount == Decimal(real_bet["shares"]).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    event = market.events.get(action="resolve")
    totals = {k: Decimal(v) for k, v in event.details["totals"].items()}
    assert totals == {"USD": real_win.amount}  # what the house owes: real money only
    assert {k: Decimal(v) for k, v in event.details["demo_totals"].items()} == {"USD": won}


def test_a_demo_session_of_the_same_player_never_receives_the_real_free_rounds_bonus(
    http, wired, games_catalog, settings
):
    """Cancelling a campaign pays the bonus so far to the player's session: never to a demo game the
    partner opened for the same player later (the bonus is real money owed at the partner)."""
    from catalog.models import BetLine

    settings.HUB_JACKPOT_ROUND_SECONDS = 0
    jackpot = games_catalog["traderhero-jackpot"]
    BetLine.objects.filter(game=jackpot, currency="USD", position=1).update(
        max_bet=Decimal("0.50"), max_multiplier=Decimal("5")
    )

    def core(path, payload, method="POST"):
        body, sig = signing.public_sign_body(wired.credentials["core_api"].secret, payload)
        return http.request(
            method, f"/api/v1{path}", content=body, headers={"X-REQUEST-SIGN": sig, "Content-Type": "application/json"}
        )

    ids = {"cID": str(wired.partner.pk), "extCID": wired.slug}
    created = core(
        "/free-rounds",
        {
            **ids,
            "extID": "fr-demo",
            "currency": "USD",
            "quantity": 3,
            "betLine": 1,
            "validFrom": (timezone.now() - timedelta(minutes=1)).isoformat(),
            "gameIDs": ["traderhero-jackpot"],
            "userIDs": ["u-9"],
        },
    )
    assert created.status_code == 200, created.text
    real, real_key = core_game(
        http, wired, demo=False, user_id="u-9", session_ref="ext-fr-1", game="traderhero-jackpot"
    )
    wired.sandbox.register_session(wired.slug, "ext-fr-1", "u-9", "USD", balance="100.00")
    r = http.post(f"/igsp/v1/sessions/{real}/bet", headers=real_key, json={"direction": "up", "amount": "1.00"})
    assert r.status_code == 201, r.text
    assert r.json()["freeRound"] is True, r.text
    demo, _ = core_game(http, wired, demo=True, user_id="u-9", game="traderhero-jackpot")  # opened later
    assert core("/free-rounds", {**ids, "extID": "fr-demo"}, method="DELETE").status_code == 200
    bonus = Transaction.objects.get(kind=TxKind.WIN, tx_type="regular", free_rounds_id="fr-demo")
    assert str(bonus.session_id) == real
    assert bonus.status == TxStatus.PENDING  # owed at the partner, not demo
    assert GameSession.objects.get(pk=demo).demo_balance == Decimal("10000.00")


def test_metrics_count_real_transactions_only(http, wired, market, settings):
    from prometheus_client.parser import text_string_to_metric_families

    settings.HUB_METRICS_CACHE_SECONDS = 0  # every scrape reads the database (no cached snapshot)

    def confirmed_bets() -> float:
        text = http.get("/metrics").text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "hub_transactions_total" and sample.labels == {"kind": "bet", "status": "confirmed"}:
                    return sample.value
        raise AssertionError("hub_transactions_total{kind=bet,status=confirmed} missing")

    before = confirmed_bets()
    sid, key = free_demo_session(http, n=1, balance="100")
    for _ in range(3):
        place(http, sid, key, market.pk, "YES", "1.00")
    assert confirmed_bets() == before
    real, real_key = igsp_session(http, wired, player="p-m")
    place(http, real, real_key, market.pk, "YES", "1.00")
    assert confirmed_bets() == before + 1
