"""Fault injection over real HTTP (pytest-django's live server): 500s, stalls, dropped connections."""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest

from sandbox import faults, services
from sandbox.models import SandboxTransaction

from .helpers import bet_payload, igsp_body, live_adapter, live_igsp, loads, uid

pytestmark = [pytest.mark.urls("sandbox.urls"), pytest.mark.django_db(transaction=True, available_apps=["sandbox"])]

STALL = 1.5
CLIENT_TIMEOUT = 1.0


def set_faults(tenant, **per_action):
    services.tenant_faults_replace(tenant=tenant, fault_settings=per_action)


def eur_balance(ledger_tenant, player="p1", currency="EUR") -> Decimal | None:
    from sandbox.models import SandboxAccount

    account = SandboxAccount.objects.filter(tenant=ledger_tenant, player_id=player, currency=currency).first()
    return account.balance if account else None


def wait_for(predicate, timeout: float = 4.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# -------------------------------------------------------------------- errors --


def test_error_rate_one_answers_500_in_each_protocols_shape_and_moves_nothing(live, live_tenant):
    _, client = live
    set_faults(live_tenant, bet={"error_rate": 1})

    igsp = live_igsp(client, igsp_body("bet"))
    public = live_adapter(client, "bet", bet_payload("sess-x"))

    assert igsp.status_code == 500
    assert set(loads(igsp)) == {"error", "message", "status"}
    assert loads(igsp)["status"] == 500
    assert public.status_code == 500
    assert "message" in loads(public)
    assert not SandboxTransaction.objects.exists()


def test_faults_are_per_action(live, live_tenant):
    _, client = live
    set_faults(live_tenant, win={"error_rate": 1})

    assert live_igsp(client, igsp_body("bet")).status_code == 200
    assert live_igsp(client, igsp_body("win")).status_code == 500


def test_decline_code_answers_400_on_every_bet(live, live_tenant):
    _, client = live
    set_faults(live_tenant, bet={"decline_code": "bet_limit"})

    igsp = live_igsp(client, igsp_body("bet"))
    public = live_adapter(client, "bet", bet_payload("sess-x"))

    assert igsp.status_code == 400
    assert loads(igsp)["error"] == "bet_limit"
    assert public.status_code == 400
    assert loads(public) == {"message": "Bet limit reached", "code": "bet_limit"}
    assert live_igsp(client, igsp_body("win")).status_code == 200
    assert eur_balance(live_tenant) == Decimal("1010.00")


def test_latency_is_added(live, live_tenant):
    _, client = live
    set_faults(live_tenant, balance={"latency_ms": 300})

    started = time.monotonic()
    response = live_igsp(client, igsp_body("balance"))

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


# -------------------------------------------------------------------- stalls --


def test_stall_before_times_out_the_client_and_moves_no_money(live, live_tenant):
    _, client = live
    set_faults(live_tenant, bet={"stall_rate": 1, "stall_seconds": STALL, "stall_mode": "before"})
    bet = igsp_body("bet")

    with pytest.raises(httpx.ReadTimeout):
        live_igsp(client, bet, timeout=CLIENT_TIMEOUT)

    time.sleep(STALL - CLIENT_TIMEOUT + 0.3)  # the server has woken up and answered into the void
    assert not SandboxTransaction.objects.filter(tx_id=bet["transaction_id"]).exists()


def test_stall_after_times_out_the_client_but_money_moved(live, live_tenant):
    _, client = live
    set_faults(live_tenant, bet={"stall_rate": 1, "stall_seconds": STALL, "stall_mode": "after"})
    bet = igsp_body("bet", amount=Decimal("4.00"))

    with pytest.raises(httpx.ReadTimeout):
        live_igsp(client, bet, timeout=CLIENT_TIMEOUT)

    tx = SandboxTransaction.objects.get(tx_id=bet["transaction_id"])
    assert tx.moved
    assert eur_balance(live_tenant) == Decimal("996.00")

    # The hub's refund after the timeout credits it back.
    set_faults(live_tenant)
    refund = live_igsp(client, igsp_body("refund", amount=Decimal("4.00"), bet_transaction_id=bet["transaction_id"]))
    assert refund.status_code == 200
    assert eur_balance(live_tenant) == Decimal("1000.00")


def test_stall_shorter_than_the_client_timeout_still_answers(live, live_tenant):
    _, client = live
    set_faults(live_tenant, win={"stall_rate": 1, "stall_seconds": 0.2, "stall_mode": "after"})

    assert live_igsp(client, igsp_body("win"), timeout=CLIENT_TIMEOUT).status_code == 200


# ------------------------------------------------------------------- drops --


def _expect_dropped(call):
    """The client sees a transport error that is not a timeout: no HTTP response at all."""
    started = time.monotonic()
    with pytest.raises(httpx.TransportError) as excinfo:
        call()
    assert not isinstance(excinfo.value, httpx.TimeoutException)
    assert time.monotonic() - started < 1.0


def test_drop_before_closes_the_connection_without_moving_money(live, live_tenant):
    _, client = live
    set_faults(live_tenant, bet={"drop_rate": 1, "drop_mode": "before"})
    bet = igsp_body("bet")

    _expect_dropped(lambda: live_igsp(client, bet))

    assert not SandboxTransaction.objects.filter(tx_id=bet["transaction_id"]).exists()
    # The server keeps serving.
    set_faults(live_tenant)
    assert live_igsp(client, igsp_body("balance")).status_code == 200


def test_drop_after_moves_money_then_closes_the_connection(live, live_tenant):
    _, client = live
    set_faults(live_tenant, win={"drop_rate": 1, "drop_mode": "after"})
    win = bet_payload("sess-drop", "2.50")

    _expect_dropped(lambda: live_adapter(client, "win", win))

    assert SandboxTransaction.objects.get(tx_id=win["txID"]).moved
    # The hub retries the win with the same txID: money moved once, same answer every time.
    set_faults(live_tenant)
    retry = live_adapter(client, "win", win)
    assert retry.status_code == 200
    assert loads(retry)["balance"] == "1002.50"
    assert SandboxTransaction.objects.get(tx_id=win["txID"]).replays == 1


def test_drop_with_a_fresh_client_per_call(live, live_tenant):
    base_url, _ = live
    set_faults(live_tenant, balance={"drop_rate": 1})
    with httpx.Client(base_url=base_url, timeout=5.0) as fresh:
        _expect_dropped(lambda: live_igsp(fresh, igsp_body("balance")))


# ----------------------------------------------------------- determinism --


def test_seeded_faults_repeat_the_same_sequence(live, live_tenant):
    _, client = live

    def run() -> list[int]:
        services.tenant_faults_replace(tenant=live_tenant, fault_settings={"win": {"error_rate": 0.5}}, seed=1234)
        return [live_igsp(client, igsp_body("win", transaction_id=uid())).status_code for _ in range(8)]

    first, second = run(), run()

    assert first == second
    assert set(first) == {200, 500}
    expected = [500 if faults.seeded_draw(1234, "win", n) < 0.5 else 200 for n in range(8)]
    assert first == expected


def test_plan_from_draw_partitions_the_unit_interval():
    cfg = faults.normalize_action(
        {"drop_rate": 0.1, "stall_rate": 0.2, "error_rate": 0.3, "stall_mode": "after"}, "bet"
    )

    assert faults.plan_from_draw(cfg, 0.05).kind == "drop"
    assert faults.plan_from_draw(cfg, 0.25) == faults.FaultPlan("stall", "after", 6.0)
    assert faults.plan_from_draw(cfg, 0.55).kind == "error"
    assert faults.plan_from_draw(cfg, 0.65) is faults.NO_FAULT


@pytest.mark.parametrize(
    "bad",
    [
        {"bet": {"error_rate": 2}},
        {"bet": {"stall_mode": "during"}},
        {"bet": {"x": 1}},
        {"jackpot": {}},
        {"bet": {"latency_ms": -1}},
        {"bet": {"error_rate": True}},
    ],
)
def test_invalid_fault_settings_are_rejected(bad):
    with pytest.raises(faults.FaultConfigError):
        faults.normalize(bad)
