"""Every wallet policy branch over real HTTP, with the sandbox partner as the wallet (both protocols)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core import signing
from core.api.exceptions import http_status
from core.errors import DeclineReason, UpstreamUnavailable
from tests.conftest import run_together
from tests.wallet_send import observe_send
from wallet import delivery, services
from wallet.models import DeliveryAttempt, PartnerDeliveryState, Transaction, TxKind, TxStatus
from wallet.services import BetDeclined

PROTOCOLS = ["igsp", "public_api"]


def new_session(wired, game, protocol, *, player="p-1", currency="USD"):
    ref = f"sess-{uuid.uuid4().hex[:10]}"
    ext = wired.ext_client if protocol == "public_api" else None
    created = services.session_create(
        protocol=protocol,
        partner=wired.partner,
        ext_client=ext,
        game=game,
        player_id=player,
        player_name="Fox",
        currency=currency,
        partner_session_ref=ref,
    )
    if protocol == "public_api":
        wired.sandbox.register_session(wired.slug, ref, player, currency, balance="1000.00")
    else:
        wired.sandbox.set_balance(wired.slug, player, currency, "1000.00")
    return created.session


def balance_at_sandbox(wired, player="p-1", currency="USD") -> Decimal:
    return Decimal(wired.sandbox.get_account(wired.slug, player, currency)["balance"])


def movements(wired, tx_id) -> int:
    ledger = wired.ledger()
    return sum(
        1
        for t in ledger["transactions"]
        if t["tx_id"] == str(tx_id) and t.get("moved", True) and t["status"] == "applied"
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_bet_ok_is_confirmed_and_debited(wired, game, protocol):
    session = new_session(wired, game, protocol)
    result = services.bet_place(session=session, amount=Decimal("12.50"))
    tx = Transaction.objects.get(pk=result.transaction.pk)
    assert tx.status == TxStatus.CONFIRMED
    assert tx.partner_tx_id
    assert result.balance == Decimal("987.50")
    assert balance_at_sandbox(wired) == Decimal("987.50")
    assert not Transaction.objects.filter(kind=TxKind.REFUND).exists()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_bet_500_is_declined_and_refunded_until_200(wired, game, protocol):
    session = new_session(wired, game, protocol)
    wired.faults(bet={"error_rate": 1.0})
    with pytest.raises(UpstreamUnavailable) as err:
        services.bet_place(session=session, amount=Decimal("10.00"))
    assert err.value.status_code == 502
    bet = Transaction.objects.get(kind=TxKind.BET)
    refund = Transaction.objects.get(kind=TxKind.REFUND)
    assert bet.status == TxStatus.DECLINED
    assert refund.refunds_id == bet.pk
    assert refund.status == TxStatus.PENDING
    assert refund.amount == bet.amount
    # The refund is delivered: the sandbox never saw the bet, answers 200 and moves nothing.
    assert delivery.deliver(refund.pk) == "delivered"
    assert Transaction.objects.get(pk=refund.pk).status == TxStatus.CONFIRMED
    assert balance_at_sandbox(wired) == Decimal("1000.00")


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "fault",
    [
        {"stall_rate": 1.0, "stall_seconds": 1.6, "stall_mode": "after"},
        {"drop_rate": 1.0, "drop_mode": "after"},
    ],
)
def test_bet_timeout_or_drop_after_debit_is_refunded_back(wired, game, protocol, fault):
    session = new_session(wired, game, protocol)
    wired.faults(bet=fault)
    with pytest.raises(UpstreamUnavailable):
        services.bet_place(session=session, amount=Decimal("7.00"))
    assert balance_at_sandbox(wired) == Decimal("993.00")  # the partner did debit
    refund = Transaction.objects.get(kind=TxKind.REFUND)
    wired.faults()
    assert delivery.deliver(refund.pk) == "delivered"
    assert balance_at_sandbox(wired) == Decimal("1000.00")  # money came back exactly once
    assert movements(wired, refund.pk) == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_bet_4xx_is_declined_without_refund_and_the_code_reaches_the_game(wired, game, protocol):
    session = new_session(wired, game, protocol)
    wired.faults(bet={"decline_code": "insufficient_funds"})
    with pytest.raises(BetDeclined) as err:
        services.bet_place(session=session, amount=Decimal("5.00"))
    assert err.value.code == "insufficient_funds"
    assert err.value.reason == DeclineReason.INSUFFICIENT_FUNDS
    assert http_status(err.value) == 402
    assert err.value.message
    assert Transaction.objects.get(kind=TxKind.BET).status == TxStatus.DECLINED
    assert not Transaction.objects.filter(kind=TxKind.REFUND).exists()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_win_is_retried_with_the_same_id_until_200(wired, game, protocol, settings):
    session = new_session(wired, game, protocol)
    bet = services.bet_place(session=session, amount=Decimal("2.00"))
    wired.faults(win={"error_rate": 1.0})
    win = services.win_record(round=bet.round, amount=Decimal("5.50"))
    assert Transaction.objects.get(pk=win.pk).status == TxStatus.PENDING
    assert delivery.deliver(win.pk) == "retry"
    row = Transaction.objects.get(pk=win.pk)
    assert row.status == TxStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    assert delivery.deliver(win.pk) == "not_claimed"  # not due yet
    wired.faults()
    Transaction.objects.filter(pk=win.pk).update(next_attempt_at=timezone.now())
    assert delivery.deliver(win.pk) == "delivered"
    row = Transaction.objects.get(pk=win.pk)
    assert row.status == TxStatus.CONFIRMED
    assert row.attempts == 2
    assert row.partner_tx_id
    attempts = list(DeliveryAttempt.objects.filter(transaction=win).order_by("started_at"))
    assert [a.outcome for a in attempts] == ["failed", "ok"]
    assert attempts[0].http_status == 500
    assert balance_at_sandbox(wired) == Decimal("1003.50")
    assert movements(wired, win.pk) == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_win_timeout_after_credit_never_double_pays(wired, game, protocol):
    session = new_session(wired, game, protocol)
    bet = services.bet_place(session=session, amount=Decimal("1.00"))
    wired.faults(win={"stall_rate": 1.0, "stall_seconds": 1.6, "stall_mode": "after"})
    win = services.win_record(round=bet.round, amount=Decimal("3.00"))
    assert delivery.deliver(win.pk) == "retry"
    assert "timeout" in Transaction.objects.get(pk=win.pk).last_error
    wired.faults()
    Transaction.objects.filter(pk=win.pk).update(next_attempt_at=timezone.now())
    assert delivery.deliver(win.pk) == "delivered"
    assert balance_at_sandbox(wired) == Decimal("1002.00")
    assert movements(wired, win.pk) == 1


def test_two_workers_racing_for_one_delivery_send_it_once(wired, game):
    session = new_session(wired, game, "igsp")
    bet = services.bet_place(session=session, amount=Decimal("1.00"))
    wired.faults(win={"latency_ms": 400})
    win = services.win_record(round=bet.round, amount=Decimal("4.00"))
    outcomes = run_together(4, lambda _: delivery.deliver(win.pk))
    assert sorted(outcomes).count("delivered") == 1, outcomes
    assert DeliveryAttempt.objects.filter(transaction=win).count() == 1
    assert movements(wired, win.pk) == 1
    assert balance_at_sandbox(wired) == Decimal("1003.00")


def test_refund_of_a_bet_the_partner_never_saw_is_confirmed(wired, game):
    session = new_session(wired, game, "public_api")
    wired.faults(bet={"drop_rate": 1.0, "drop_mode": "before"})
    with pytest.raises(UpstreamUnavailable):
        services.bet_place(session=session, amount=Decimal("9.99"))
    wired.faults()
    refund = Transaction.objects.get(kind=TxKind.REFUND)
    assert delivery.deliver(refund.pk) == "delivered"
    assert balance_at_sandbox(wired) == Decimal("1000.00")


def test_a_bet_is_refunded_once_and_a_round_paid_once(wired, game):
    session = new_session(wired, game, "igsp")
    bet = services.bet_place(session=session, amount=Decimal("1.00"))
    services.win_record(round=bet.round, amount=Decimal("0"))
    from core.errors import Conflict

    with pytest.raises(Conflict):
        services.win_record(round=bet.round, amount=Decimal("1.00"))
    services.refund_record(bet_tx=bet.transaction)
    with pytest.raises(Conflict):
        services.refund_record(bet_tx=bet.transaction)


def test_circuit_breaker_pauses_without_counting_attempts(wired, game, settings):
    settings.HUB_BREAKER_FAILURES = 2
    session = new_session(wired, game, "igsp")
    wired.faults(win={"error_rate": 1.0})
    wins = []
    for _ in range(3):
        bet = services.bet_place(session=session, amount=Decimal("1.00"))
        wins.append(services.win_record(round=bet.round, amount=Decimal("1.00")))
    assert delivery.deliver(wins[0].pk) == "retry"
    assert delivery.deliver(wins[1].pk) == "retry"
    state = PartnerDeliveryState.objects.get(partner=wired.partner)
    assert state.open_until
    assert state.open_until > timezone.now()
    assert delivery.deliver(wins[2].pk) == "breaker_open"
    assert Transaction.objects.get(pk=wins[2].pk).attempts == 0
    assert not DeliveryAttempt.objects.filter(transaction_id=wins[2].pk).exists()
    # Cool-down over: one probe goes through; success closes the breaker.
    wired.faults()
    PartnerDeliveryState.objects.filter(pk=state.pk).update(open_until=timezone.now() - timedelta(seconds=1))
    Transaction.objects.filter(pk=wins[2].pk).update(next_attempt_at=timezone.now())
    assert delivery.deliver(wins[2].pk) == "delivered"
    assert PartnerDeliveryState.objects.get(pk=state.pk).open_until is None


def test_sweeper_kicks_the_pump_of_lost_deliveries_flags_stuck_and_refunds_orphaned_bets(
    wired, game, settings, monkeypatch
):
    from wallet import tasks

    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(tasks.deliver_partner, "delay", lambda partner_id, token: sent.append((partner_id, token)))
    session = new_session(wired, game, "igsp")
    bet = services.bet_place(session=session, amount=Decimal("1.00"))
    win = services.win_record(round=bet.round, amount=Decimal("2.00"))
    orphan_round = services.Round.objects.create(session=session, partner=wired.partner)
    orphan = Transaction.objects.create(
        round=orphan_round,
        session=session,
        partner=wired.partner,
        kind=TxKind.BET,
        amount=Decimal("3.00"),
        currency="USD",
    )
    Transaction.objects.filter(pk=orphan.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    Transaction.objects.filter(pk=win.pk).update(
        created_at=timezone.now() - timedelta(hours=2), next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    # The pump's message was lost and its flag expired (a killed worker, a broker restart).
    PartnerDeliveryState.objects.filter(partner=wired.partner).update(pump_until=timezone.now() - timedelta(seconds=1))
    sent.clear()
    report = delivery.sweep()
    assert sent
    assert sent[0][0] == str(wired.partner.pk)
    assert report["kicked"] == 1
    assert report["stuck_flagged"] == 1
    assert Transaction.objects.get(pk=win.pk).stuck
    assert report["orphaned_bets"] == 1
    assert Transaction.objects.get(pk=orphan.pk).status == TxStatus.DECLINED
    assert Transaction.objects.filter(kind=TxKind.REFUND, refunds=orphan).exists()
    # While that pump is queued, sweeping again sends nothing more: one message per partner, not per row.
    assert delivery.sweep()["kicked"] == 0
    assert len(sent) == 1
    # Flagged, never dropped: the pump delivers it (and the orphan's refund).
    stats = delivery.pump(sent[0][0], sent[0][1])
    assert stats["delivered"] == 2
    assert Transaction.objects.get(pk=win.pk).status == TxStatus.CONFIRMED
    assert movements(wired, win.pk) == 1


def test_per_partner_cap_on_concurrent_deliveries(wired, game, settings):
    settings.HUB_PARTNER_MAX_IN_FLIGHT = 1
    session = new_session(wired, game, "igsp")
    bet1 = services.bet_place(session=session, amount=Decimal("1.00"))
    bet2 = services.bet_place(session=session, amount=Decimal("1.00"))
    w1 = services.win_record(round=bet1.round, amount=Decimal("1.00"))
    w2 = services.win_record(round=bet2.round, amount=Decimal("1.00"))
    Transaction.objects.filter(pk=w1.pk).update(lease_until=timezone.now() + timedelta(seconds=30))
    assert delivery.deliver(w2.pk) == "throttled"
    assert Transaction.objects.get(pk=w2.pk).attempts == 0


def test_demo_sessions_never_call_the_partner(wired, game, monkeypatch):
    calls = []
    observe_send(monkeypatch, lambda *a, **k: calls.append(a))
    created = services.session_create(
        protocol="igsp",
        partner=None,
        game=game,
        player_id="demo-1",
        currency="USD",
        is_demo=True,
        demo_balance=Decimal("100.00"),
    )
    session = created.session
    bet = services.bet_place(session=session, amount=Decimal("30.00"))
    assert bet.balance == Decimal("70.00")
    win = services.win_record(round=bet.round, amount=Decimal("45.50"))
    assert win.status == TxStatus.CONFIRMED
    assert services.session_balance(session=session) == Decimal("115.50")
    with pytest.raises(BetDeclined) as err:
        services.bet_place(session=session, amount=Decimal("115.51"))
    assert err.value.code == "insufficient_funds"
    assert calls == []


# ------------------------------------------------- what goes on the wire --


@pytest.fixture
def wire(monkeypatch):
    captured: list[dict] = []

    def recording_send(method, url, *, content=None, headers=None, params=None):
        captured.append(
            {"method": method, "url": url, "content": content, "headers": dict(headers or {}), "params": params}
        )

    observe_send(monkeypatch, recording_send)  # the bets' calls and the pump's
    return captured


def _schema(path: str, name: str):
    import yaml

    with open(path) as fh:
        return yaml.safe_load(fh)["components"]["schemas"][name]


SPECS = __import__("pathlib").Path(__file__).resolve().parents[2] / "contracts"


def test_igsp_bodies_validate_against_the_platform_contract(wired, game, wire):
    from openapi_schema_validator import OAS31Validator

    session = new_session(wired, game, "igsp")
    services.session_balance(session=session)
    bet = services.bet_place(session=session, amount=Decimal("3.10"))
    win = services.win_record(round=bet.round, amount=Decimal("6.20"), tx_type="jackpot")
    delivery.deliver(win.pk)
    refund = services.refund_record(bet_tx=bet.transaction)
    delivery.deliver(refund.pk)
    names = {"balance": "BalanceRequest", "bet": "BetRequest", "win": "WinRequest", "refund": "RefundRequest"}
    seen = set()
    for call in wire:
        body = json.loads(call["content"], parse_float=Decimal)
        OAS31Validator(_schema(SPECS / "igsp" / "igsp-platforms.yaml", names[body["action"]])).validate(
            json.loads(call["content"])
        )
        assert call["headers"]["Authorization"] == f"Bearer {wired.credentials['igsp'].credential.public_id}"
        assert (
            signing.igsp_sign(wired.credentials["igsp"].secret, call["content"], call["headers"]["X-Timestamp"])
            == call["headers"]["X-Signature"]
        )
        seen.add(body["action"])
        if body["action"] == "win":
            assert body["amount"] == Decimal("6.20")
            assert b'"amount":6.20' in call["content"]
            assert body["type"] == "jackpot"
            assert body["transaction_id"] == str(win.pk)
    assert seen == {"balance", "bet", "win", "refund"}


def test_public_api_bodies_are_canonical_and_validate_against_the_adapter_contract(wired, game, wire):
    from openapi_schema_validator import OAS30Validator

    session = new_session(wired, game, "public_api")
    services.session_balance(session=session)
    bet = services.bet_place(session=session, amount=Decimal("3.10"))
    win = services.win_record(round=bet.round, amount=Decimal("0"))
    delivery.deliver(win.pk)
    refund = services.refund_record(bet_tx=bet.transaction)
    delivery.deliver(refund.pk)
    key = wired.credentials["integration_api"].secret
    names = {"/bet": "BetRequest", "/win": "WinRequest", "/refund": "RefundRequest"}
    seen = set()
    for call in wire:
        path = "/" + call["url"].rsplit("/", 1)[1]
        if call["method"] == "GET":
            assert path == "/balance"
            assert call["params"] == {"sessionID": session.partner_session_ref}
            assert call["headers"]["X-REQUEST-SIGN"] == signing.public_sign(
                key, signing.canonical_query(call["params"])
            )
            seen.add(path)
            continue
        body = json.loads(call["content"])
        assert call["content"] == signing.canonical_json(body)  # the exact canonical bytes that were signed
        assert call["headers"]["X-REQUEST-SIGN"] == signing.public_sign(key, call["content"])
        OAS30Validator(_schema(SPECS / "public-api" / "integration-adapter-api.yaml", names[path])).validate(body)
        seen.add(path)
        if path == "/win":
            assert body["amount"] == "0.00"
            assert body["roundID"] == str(bet.round.pk)
        if path == "/refund":
            assert body["origTxID"] == str(bet.transaction.pk)
            assert body["amount"] == "3.10"
    assert seen == {"/balance", "/bet", "/win", "/refund"}
