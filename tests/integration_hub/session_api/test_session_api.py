"""The Session API end to end over real HTTP: the sandbox partner is the casino wallet."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from core import signing
from games import catalog
from games.models import Market
from wallet import delivery
from wallet.models import GameSession, Transaction, TxKind, TxStatus


@pytest.fixture
def http(live_hub):
    with httpx.Client(base_url=live_hub.url, timeout=10) as client:
        yield client


@pytest.fixture
def markets_seed(games_catalog):
    """Open demo markets (data-migrated; re-created after a transactional flush)."""
    if not Market.objects.filter(status="open").exists():
        for i, (b, qy, qn) in enumerate(
            [(Decimal("100"), Decimal("0"), Decimal("0")), (Decimal("200"), Decimal("50"), Decimal("10"))]
        ):
            Market.objects.create(
                title=f"Market {i}", b=b, q_yes=qy, q_no=qn, close_at=timezone.now() + timedelta(days=30)
            )
    return list(Market.objects.filter(status="open"))


def igsp_create(http, wired, game_slug, *, player="p-1", balance="500.00", currency="USD", demo=False):
    body = {
        "game_id": game_slug,
        "player_id": player,
        "player_name": "Fox",
        "currency": currency,
        "session_id": f"s-{timezone.now().timestamp()}",
        "balance": Decimal(balance),
        "is_demo": demo,
    }
    raw = json.dumps(body, default=str).encode().replace(f'"{balance}"'.encode(), balance.encode())
    creds = wired.credentials["igsp"]
    headers = signing.igsp_headers(creds.credential.public_id, creds.secret, raw)
    resp = http.post("/igsp/v1/sessions", content=raw, headers={**headers, "Content-Type": "application/json"})
    assert resp.status_code == 201, resp.text
    url = resp.json()["url"]
    session_id, key = url.split("/launch/")[1].split("#key=")
    if not demo:
        wired.sandbox.set_balance(wired.slug, player, currency, balance)
    return session_id, {"X-Casino-Key": key}


def test_prediction_market_bet_preview_and_cash_out(http, wired, markets_seed):
    sid, key = igsp_create(http, wired, "prediction-markets")
    state = http.get(f"/igsp/v1/sessions/{sid}/state", headers=key)
    assert state.status_code == 200, state.text
    body = state.json()
    assert body["balance"] == "500.00" and body["currency"] == "USD" and body["player"]["name"] == "Fox"
    market = body["markets"][0]
    assert {"id", "title", "yesPrice", "noPrice", "status"} <= set(market)
    assert Decimal(market["yesPrice"]) + Decimal(market["noPrice"]) == 1
    bet = http.post(
        f"/igsp/v1/sessions/{sid}/bet",
        headers=key,
        json={"marketId": market["id"], "outcome": "YES", "amount": "20.00"},
    )
    assert bet.status_code == 201, bet.text
    placed = bet.json()
    assert placed["balance"] == "480.00" and Decimal(placed["shares"]) > 0
    assert Decimal(wired.sandbox.get_account(wired.slug, "p-1", "USD")["balance"]) == Decimal("480.00")
    preview = http.post(f"/igsp/v1/sessions/{sid}/cash-out/preview", headers=key, json={"betId": placed["betId"]})
    assert preview.status_code == 200, preview.text
    quote = preview.json()
    assert Decimal(quote["cashOutValue"]) < Decimal("20.00")  # buy-then-sell never returns more than the stake
    assert quote["originalStake"] == "20.00" and "margin" in quote and "currentOdds" in quote
    assert Transaction.objects.filter(kind=TxKind.WIN).count() == 0  # a preview moves no money
    cash = http.post(f"/igsp/v1/sessions/{sid}/cash-out", headers=key, json={"betId": placed["betId"]})
    assert cash.status_code == 200, cash.text
    assert cash.json()["cashOutValue"] == quote["cashOutValue"]
    win = Transaction.objects.get(kind=TxKind.WIN)
    assert delivery.deliver(win.pk) == "delivered"
    expected = Decimal("480.00") + Decimal(quote["cashOutValue"])
    assert Decimal(wired.sandbox.get_account(wired.slug, "p-1", "USD")["balance"]) == expected
    again = http.post(f"/igsp/v1/sessions/{sid}/cash-out", headers=key, json={"betId": placed["betId"]})
    assert again.status_code == 409 and again.json()["error"] == "already_cashed_out"
    live = http.get(f"/igsp/v1/sessions/{sid}/balance", headers=key)
    assert live.status_code == 200 and Decimal(live.json()["balance"]) == expected


def test_traderhero_round_is_provably_fair_and_pays_through_the_wallet(http, wired, games_catalog, settings):
    from games.traderhero import fairness as jackpot

    settings.HUB_JACKPOT_ROUND_SECONDS = 0
    sid, key = igsp_create(http, wired, "traderhero-jackpot")
    state = http.get(f"/igsp/v1/sessions/{sid}/state", headers=key).json()
    assert state["jackpot"]["table"]["tiers"]
    resp = http.post(
        f"/igsp/v1/sessions/{sid}/bet", headers=key, json={"direction": "up", "amount": 10, "clientSeed": "lucky"}
    )
    assert resp.status_code == 201, resp.text
    r = resp.json()
    assert r["status"] == "settled" and r["serverSeed"] and r["serverSeedHash"]
    again = jackpot.verify(r["serverSeed"], r["serverSeedHash"], "lucky", r["nonce"], "up", Decimal(r["rtp"]))
    assert jackpot.payout(Decimal("10"), again.multiplier, 2) == Decimal(r["payout"])
    assert again.path == r["path"]
    win = Transaction.objects.get(kind=TxKind.WIN)
    assert win.amount == Decimal(r["payout"])  # a zero win closes a lost round
    assert delivery.deliver(win.pk) == "delivered"
    final = Decimal(wired.sandbox.get_account(wired.slug, "p-1", "USD")["balance"])
    assert final == Decimal("490.00") + Decimal(r["payout"])
    detail = http.get(f"/igsp/v1/sessions/{sid}/bets/{r['betId']}", headers=key)
    assert detail.status_code == 200 and detail.json()["payout"] == r["payout"]


def test_session_api_errors(http, wired, markets_seed):
    sid, key = igsp_create(http, wired, "prediction-markets")
    market_id = str(markets_seed[0].pk)
    # 401: missing or wrong key, or another session's key
    assert http.get(f"/igsp/v1/sessions/{sid}/state").status_code == 401
    assert http.get(f"/igsp/v1/sessions/{sid}/state", headers={"X-Casino-Key": "igsp_nope"}).status_code == 401
    sid2, key2 = igsp_create(http, wired, "prediction-markets", player="p-2")
    assert http.get(f"/igsp/v1/sessions/{sid}/state", headers=key2).status_code == 401
    assert http.get("/igsp/v1/sessions/not-a-uuid/state", headers=key).status_code == 401
    # 400: bad bodies, nothing written
    for body in (
        {"marketId": market_id, "outcome": "MAYBE", "amount": "1"},
        {"marketId": market_id, "outcome": "YES", "amount": "-1"},
        {"marketId": market_id, "outcome": "YES", "amount": "abc"},
        {"marketId": market_id, "outcome": "YES", "amount": "0.001"},
        {"marketId": market_id, "outcome": "YES"},
        [1, 2],
    ):
        resp = http.post(f"/igsp/v1/sessions/{sid}/bet", headers=key, json=body)
        assert resp.status_code == 400, (body, resp.text)
    assert (
        http.post(
            f"/igsp/v1/sessions/{sid}/bet",
            headers=key,
            json={"marketId": "00000000-0000-0000-0000-000000000000", "outcome": "YES", "amount": "1"},
        ).status_code
        == 404
    )
    assert not Transaction.objects.exists()
    # The partner's insufficient funds reaches the game as a 4xx with its message
    wired.sandbox.set_balance(wired.slug, "p-1", "USD", "0.50")
    short = http.post(
        f"/igsp/v1/sessions/{sid}/bet", headers=key, json={"marketId": market_id, "outcome": "YES", "amount": "1.00"}
    )
    assert short.status_code == 402 and short.json()["error"] == "insufficient_funds"
    # 502: the partner's hooks are unreachable
    wired.faults(bet={"error_rate": 1.0}, balance={"error_rate": 1.0})
    down = http.post(
        f"/igsp/v1/sessions/{sid}/bet", headers=key, json={"marketId": market_id, "outcome": "YES", "amount": "0.50"}
    )
    assert down.status_code == 502, down.text
    assert http.get(f"/igsp/v1/sessions/{sid}/balance", headers=key).status_code == 502
    assert Transaction.objects.filter(kind=TxKind.REFUND, status=TxStatus.PENDING).count() == 1
    # 410: expired or closed
    GameSession.objects.filter(pk=sid).update(expires_at=timezone.now() - timedelta(seconds=1))
    gone = http.get(f"/igsp/v1/sessions/{sid}/state", headers=key)
    assert gone.status_code == 410 and gone.json()["error"] == "session_expired"
    assert (
        http.post(
            f"/igsp/v1/sessions/{sid}/bet", headers=key, json={"marketId": market_id, "outcome": "YES", "amount": "1"}
        ).status_code
        == 410
    )


def test_demo_session_plays_without_any_partner(http, games_catalog, markets_seed, settings, monkeypatch):
    from wallet import transport

    settings.HUB_JACKPOT_ROUND_SECONDS = 0
    monkeypatch.setattr(transport, "send", lambda *a, **k: pytest.fail("a demo session called a wallet"))
    resp = http.post(
        "/igsp/v1/demo/sessions",
        json={
            "game_id": catalog.TRADERHERO_JACKPOT_SLUG,
            "player_id": "guest",
            "player_name": "Guest",
            "currency": "EUR",
            "session_id": "demo-1",
            "balance": 100,
        },
    )
    assert resp.status_code == 201, resp.text
    sid, key = resp.json()["url"].split("/launch/")[1].split("#key=")
    headers = {"X-Casino-Key": key}
    r = http.post(f"/igsp/v1/sessions/{sid}/bet", headers=headers, json={"direction": "down", "amount": "5.00"})
    assert r.status_code == 201, r.text
    expected = Decimal("95.00") + Decimal(r.json()["payout"])
    assert Decimal(r.json()["balance"]) == expected
    assert Decimal(http.get(f"/igsp/v1/sessions/{sid}/balance", headers=headers).json()["balance"]) == expected


def test_a_suspended_partners_sessions_take_no_bets(http, wired, markets_seed):
    from tenants import services as tenant_services

    sid, key = igsp_create(http, wired, "prediction-markets")
    tenant_services.partner_suspend(partner=wired.partner, actor="t")
    resp = http.post(
        f"/igsp/v1/sessions/{sid}/bet",
        headers=key,
        json={"marketId": str(markets_seed[0].pk), "outcome": "YES", "amount": "1.00"},
    )
    assert resp.status_code == 403 and resp.json()["error"] == "account_blocked"
    assert not Transaction.objects.exists()


def test_traderhero_settle_task_is_published_after_the_player_has_the_answer(
    http, wired, games_catalog, settings, monkeypatch
):
    """With timed rounds the bet's answer does not wait for the broker: the settle task goes out after
    the response is written (a publish that blocks does not delay the 201)."""
    import threading
    import time

    from games import tasks
    from games.models import JackpotRound

    settings.HUB_JACKPOT_ROUND_SECONDS = 3
    release, published = threading.Event(), []

    def slow_publish(args=None, countdown=None, **kwargs):
        release.wait(10)
        published.append((args, countdown))

    monkeypatch.setattr(tasks.settle_jackpot_rounds, "apply_async", slow_publish)
    sid, key = igsp_create(http, wired, "traderhero-jackpot")
    started = time.monotonic()
    resp = http.post(f"/igsp/v1/sessions/{sid}/bet", headers=key, json={"direction": "up", "amount": "1.00"})
    assert resp.status_code == 201, resp.text
    assert time.monotonic() - started < 5 and published == []  # answered while the publish still waits
    release.set()
    deadline = time.monotonic() + 5
    while not published and time.monotonic() < deadline:
        time.sleep(0.02)
    [(args, countdown)] = published
    assert args == [[resp.json()["betId"]]] and 2.5 < countdown <= 3  # due when the round is
    assert JackpotRound.objects.get(pk=resp.json()["betId"]).status == "open"


def test_after_response_outside_a_request_runs_at_once_and_a_failure_does_not_stop_the_rest(caplog):
    from core.after_response import after_response

    ran = []

    def boom():
        raise RuntimeError("broker down")

    after_response(boom)
    after_response(lambda: ran.append(1))
    assert ran == [1] and "after-response callback failed" in caplog.text


def test_a_traderhero_bet_costs_a_bounded_number_of_statements(http, wired, games_catalog, settings):
    """The bet path's round trips to the database are the bulk of what the hub adds to a bet: the pending
    round and bet (one statement, committed on its own), the confirmation (the bet row and the session's
    balance in one statement) and the game round, then the commit. A regression (a savepoint, an extra read,
    one statement per row) shows up here."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from games import services as play
    from wallet.models import GameSession

    settings.HUB_JACKPOT_ROUND_SECONDS = 3
    sid, _ = igsp_create(http, wired, "traderhero-jackpot")
    session = GameSession.objects.select_related("partner", "ext_client", "game").get(pk=sid)
    play.bet_jackpot(session=session, direction="up", amount=Decimal("1.00"))  # the signing key is cached now
    with CaptureQueriesContext(connection) as queries:
        body = play.bet_jackpot(session=session, direction="up", amount=Decimal("1.00"))
    assert body.round.status == "open"
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert "SAVEPOINT" not in statements, statements
    # round + bet | partner call | BEGIN, bet + session, game round, COMMIT (+ the call log's row, written
    # after the response: wallet/calllog.py)
    writes = [s for s in statements if s not in ("BEGIN", "COMMIT")]
    expected = 4 if connection.vendor == "postgresql" else 6  # one statement per row elsewhere
    assert len(writes) <= expected + 1, statements


def test_the_daily_cash_out_limit_follows_the_player_across_sessions(http, wired, markets_seed, settings):
    settings.HUB_CASHOUT_LIMIT_PER_DAY = 1
    market_id = str(markets_seed[0].pk)
    placed = []
    for _ in range(2):  # a second session of the same player does not reset the limit
        sid, key = igsp_create(http, wired, "prediction-markets", player="p-limit")
        bet = http.post(
            f"/igsp/v1/sessions/{sid}/bet",
            headers=key,
            json={"marketId": market_id, "outcome": "YES", "amount": "5.00"},
        )
        assert bet.status_code == 201, bet.text
        placed.append((sid, key, bet.json()["betId"]))
    (sid1, key1, bet1), (sid2, key2, bet2) = placed
    assert http.post(f"/igsp/v1/sessions/{sid1}/cash-out", headers=key1, json={"betId": bet1}).status_code == 200
    refused = http.post(f"/igsp/v1/sessions/{sid2}/cash-out", headers=key2, json={"betId": bet2})
    assert refused.status_code == 429 and refused.json()["error"] == "cashout_limit", refused.text
    other, other_key = igsp_create(http, wired, "prediction-markets", player="p-other")
    bet = http.post(
        f"/igsp/v1/sessions/{other}/bet",
        headers=other_key,
        json={"marketId": market_id, "outcome": "NO", "amount": "5.00"},
    ).json()
    assert (
        http.post(f"/igsp/v1/sessions/{other}/cash-out", headers=other_key, json={"betId": bet["betId"]}).status_code
        == 200
    )


def test_a_bet_moves_the_price_for_its_own_currency_only(http, wired, markets_seed):
    usd, usd_key = igsp_create(http, wired, "prediction-markets", player="p-usd")
    eur, eur_key = igsp_create(http, wired, "prediction-markets", player="p-eur", currency="EUR")

    def yes_price(sid, key, market_id):
        state = http.get(f"/igsp/v1/sessions/{sid}/state", headers=key).json()
        return next(Decimal(m["yesPrice"]) for m in state["markets"] if m["id"] == market_id)

    market_id = str(markets_seed[0].pk)
    before = yes_price(eur, eur_key, market_id)
    assert yes_price(usd, usd_key, market_id) == before
    bet = http.post(
        f"/igsp/v1/sessions/{usd}/bet",
        headers=usd_key,
        json={"marketId": market_id, "outcome": "YES", "amount": "100.00"},
    )
    assert bet.status_code == 201, bet.text
    assert Decimal(bet.json()["market"]["yesPrice"]) > before
    assert yes_price(usd, usd_key, market_id) > before
    assert yes_price(eur, eur_key, market_id) == before  # the EUR book did not move


def test_the_state_of_a_market_session_costs_the_same_queries_for_1_or_12_positions(markets_seed, settings):
    """Each open position carries a live cash-out quote: its market, the currency's book and the player's
    cash-outs today are read once for the whole list, not once per position."""
    import uuid

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Game
    from games import services as play
    from games.markets import trading
    from wallet import services as wallet_services

    session = wallet_services.session_create(
        protocol="igsp",
        game=Game.objects.get(slug="prediction-markets"),
        player_id="many",
        currency="USD",
        is_demo=True,
        demo_balance=Decimal("1000"),
    ).session

    def state_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            body = play.state(session=session)
        assert all(p.cash_out_value for p in body.positions)
        return len(queries.captured_queries)

    def open_positions(n):
        for i in range(n):
            trading.position_open(
                market_id=markets_seed[i % 2].pk,
                session_id=session.pk,
                round_id=uuid.uuid4(),
                outcome="YES",
                stake=Decimal("1.00"),
                currency="USD",
                demo=True,
            )

    open_positions(1)
    one = state_queries()
    open_positions(11)
    assert state_queries() == one


@pytest.mark.parametrize("gone", ["closed", "expired"])
def test_a_bet_of_a_closed_or_expired_session_answers_410_like_every_session_route(
    http, wired, games_catalog, settings, gone
):
    settings.HUB_JACKPOT_ROUND_SECONDS = 0
    sid, key = igsp_create(http, wired, "traderhero-jackpot")
    bet = http.post(f"/igsp/v1/sessions/{sid}/bet", headers=key, json={"direction": "up", "amount": "1.00"})
    assert bet.status_code == 201, bet.text
    detail_url = f"/igsp/v1/sessions/{sid}/bets/{bet.json()['betId']}"
    assert http.get(detail_url, headers=key).status_code == 200
    if gone == "closed":
        GameSession.objects.filter(pk=sid).update(status="closed")
    else:
        GameSession.objects.filter(pk=sid).update(expires_at=timezone.now() - timedelta(seconds=1))
    resp = http.get(detail_url, headers=key)
    assert resp.status_code == 410, resp.text
    assert resp.json()["error"] == f"session_{gone}"
    # Same answer as the state route.
    state = http.get(f"/igsp/v1/sessions/{sid}/state", headers=key)
    assert (state.status_code, state.json()["error"]) == (410, f"session_{gone}")


def test_bad_session_api_bodies_answer_the_codes_the_game_page_reads(http, wired, markets_seed, games_catalog):
    """The game page shows each refusal by its ``error`` code (static/hub/i18n.js ``err_<code>``): the input
    serializers answer exactly the domain errors the hand-written parsing did, in the IGSP error shape."""
    sid, key = igsp_create(http, wired, "prediction-markets")
    market_id = str(markets_seed[0].pk)

    def answer(path, body, headers=key, session=sid):
        resp = http.post(f"/igsp/v1/sessions/{session}/{path}", headers=headers, json=body)
        return resp.status_code, resp.json()

    def err(status, code, message):
        return status, {"error": code, "message": message, "status": status}

    amount_required = err(400, "invalid_amount", "amount: a decimal amount is required.")
    for body, expected in [
        (
            {"marketId": market_id, "outcome": "maybe", "amount": "1"},
            err(400, "invalid_outcome", 'outcome: must be "YES" or "NO".'),
        ),
        ({"marketId": market_id, "amount": "1"}, err(400, "invalid_outcome", 'outcome: must be "YES" or "NO".')),
        (
            {"marketId": market_id, "outcome": "yes", "amount": "abc"},
            err(400, "invalid_amount", "amount: 'abc' is not a decimal amount."),
        ),
        (
            {"marketId": market_id, "outcome": "YES", "amount": "0"},
            err(400, "invalid_amount", "amount: must be a positive amount."),
        ),
        ({"marketId": market_id, "outcome": "YES", "amount": None}, amount_required),
        ({"marketId": market_id, "outcome": "YES", "amount": True}, amount_required),
        ({"marketId": market_id, "outcome": "YES"}, amount_required),
        (
            {"marketId": "nope", "outcome": "YES", "amount": "1"},
            err(404, "market_not_found", "marketId: market not found."),
        ),
        ({"marketId": 7, "outcome": "YES", "amount": "1"}, err(404, "market_not_found", "marketId: market not found.")),
        ({"outcome": "YES", "amount": "1"}, err(404, "market_not_found", "marketId: market not found.")),
        ([1, 2], err(400, "invalid_request", "The body must be a JSON object.")),
        ("YES", err(400, "invalid_request", "The body must be a JSON object.")),
    ]:
        assert answer("bet", body) == expected, body
    for path in ("cash-out/preview", "cash-out"):
        assert answer(path, {"betId": "nope"}) == err(404, "bet_not_found", "betId: bet not found."), path
        assert answer(path, {}) == err(404, "bet_not_found", "betId: bet not found."), path
        null = http.post(  # a JSON null body (httpx sends no body for json=None)
            f"/igsp/v1/sessions/{sid}/{path}", headers={**key, "Content-Type": "application/json"}, content=b"null"
        )
        assert (null.status_code, null.json()) == err(400, "invalid_request", "The body must be a JSON object.")
    # A JSON number is read as a Decimal, never a float (as a float this would be 1.0, a valid stake).
    raw = b'{"marketId": "' + market_id.encode() + b'", "outcome": "YES", "amount": 1.0000000000000001}'
    exact = http.post(f"/igsp/v1/sessions/{sid}/bet", headers={**key, "Content-Type": "application/json"}, content=raw)
    assert exact.status_code == 400 and exact.json()["error"] == "invalid_amount", exact.text
    placed = answer("bet", {"marketId": market_id, "outcome": "no", "amount": 2})  # a JSON number, any case
    assert placed[0] == 201 and placed[1]["outcome"] == "NO" and placed[1]["amount"] == "2.00", placed
    bad_floor = answer("cash-out", {"betId": placed[1]["betId"], "minValue": "x"})
    assert bad_floor == err(400, "invalid_amount", "minValue: 'x' is not a decimal amount.")

    jsid, jkey = igsp_create(http, wired, "traderhero-jackpot", player="p-3")
    for body, expected in [
        ({"direction": "left", "amount": "1"}, err(400, "invalid_direction", 'direction: must be "up" or "down".')),
        ({"amount": "1"}, err(400, "invalid_direction", 'direction: must be "up" or "down".')),
        ({"direction": "UP"}, amount_required),
        (
            {"direction": "up", "amount": "1", "clientSeed": ""},
            err(400, "invalid_client_seed", "clientSeed: 1–64 characters."),
        ),
        (
            {"direction": "up", "amount": "1", "clientSeed": "x" * 65},
            err(400, "invalid_client_seed", "clientSeed: 1–64 characters."),
        ),
        (
            {"direction": "up", "amount": "1", "clientSeed": 5},
            err(400, "invalid_client_seed", "clientSeed: 1–64 characters."),
        ),
    ]:
        assert answer("bet", body, jkey, jsid) == expected, body
    unavailable = err(400, "cash_out_unavailable", "Cash-out is available in prediction markets only.")
    assert answer("cash-out/preview", {"betId": "nope"}, jkey, jsid) == unavailable
    # Nothing written but the one good bet.
    assert list(Transaction.objects.values_list("kind", flat=True)) == [TxKind.BET]


@pytest.mark.parametrize("gone", ["closed", "expired"])
def test_every_session_route_answers_410_once_the_session_is_gone(http, wired, markets_seed, gone):
    """The open-session check runs once, in the Session API's base view, before any body is read."""
    sid, key = igsp_create(http, wired, "prediction-markets")
    placed = http.post(
        f"/igsp/v1/sessions/{sid}/bet",
        headers=key,
        json={"marketId": str(markets_seed[0].pk), "outcome": "YES", "amount": "1"},
    )
    assert placed.status_code == 201, placed.text
    bet_id = placed.json()["betId"]
    if gone == "closed":
        GameSession.objects.filter(pk=sid).update(status="closed")
    else:
        GameSession.objects.filter(pk=sid).update(expires_at=timezone.now() - timedelta(seconds=1))
    base = f"/igsp/v1/sessions/{sid}"
    for method, path, body in [
        ("GET", "state", None),
        ("GET", "balance", None),
        ("GET", f"bets/{bet_id}", None),
        ("POST", "bet", {"marketId": str(markets_seed[0].pk), "outcome": "YES", "amount": "1"}),
        ("POST", "bet", [1]),
        ("POST", "cash-out/preview", {"betId": bet_id}),
        ("POST", "cash-out", {"betId": bet_id}),
    ]:
        resp = http.request(method, f"{base}/{path}", headers=key, json=body)
        assert resp.status_code == 410, (path, resp.text)
        assert resp.json()["error"] == f"session_{gone}", (path, resp.json())
    assert Transaction.objects.filter(kind=TxKind.WIN).count() == 0


def test_bets_placed_together_leave_one_settle_task_and_their_call_log_rows_in_batches(
    http, wired, games_catalog, settings, monkeypatch
):
    """HUB_BATCH_SECONDS on (as in production): concurrent bets' settle tasks go out together, due when the
    last round is, off the requests' threads; the partner's call log gets every bet's row shortly after."""
    import threading
    import time

    from games import tasks
    from wallet.models import WalletCall

    settings.HUB_JACKPOT_ROUND_SECONDS, settings.HUB_BATCH_SECONDS = 3, 1.0
    published = []
    monkeypatch.setattr(tasks.settle_jackpot_rounds, "apply_async", lambda args, countdown: published.append(args))
    sessions = [igsp_create(http, wired, "traderhero-jackpot", player=f"p-{i}") for i in range(4)]
    answers = []

    def bet(sid, key):
        with httpx.Client(base_url=str(http.base_url), timeout=10) as client:
            answers.append(
                client.post(f"/igsp/v1/sessions/{sid}/bet", headers=key, json={"direction": "up", "amount": "1"})
            )

    threads = [threading.Thread(target=bet, args=s) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [201] * 4
    deadline = time.monotonic() + 5
    while sum(len(ids) for (ids,) in published) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted(i for (ids,) in published for i in ids) == sorted(a.json()["betId"] for a in answers)
    assert len(published) < 4  # gathered (the four bets answered well within HUB_BATCH_SECONDS of each other)
    while WalletCall.objects.filter(partner=wired.partner, kind="bet").count() < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert WalletCall.objects.filter(partner=wired.partner, kind="bet").count() == 4
