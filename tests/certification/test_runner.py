"""The certification runner against the sandbox partner, over real HTTP (live server serving hub + sandbox).

A clean sandbox passes every case; each injected fault makes exactly the matching cases fail.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from certification import services, tasks
from certification.models import CertificationRun, RunStatus

from .conftest import PLAYER, SESSION, START

pytestmark = pytest.mark.django_db(transaction=True)


def run(wired, protocol: str, groups=None, budget=None) -> CertificationRun:
    run = services.run_start(
        partner=wired.partner,
        protocol=protocol,
        actor="test",
        via="test",
        currency="USD",
        player_id=PLAYER,
        session_id=SESSION,
        groups=groups,
        budget_seconds=budget,
    )
    tasks.execute_run(str(run.pk))
    run.refresh_from_db()
    return run


def failing(run: CertificationRun) -> set[str]:
    return {r.case_id for r in run.results.filter(passed=False)}


def balance(wired) -> Decimal:
    return Decimal(wired.sandbox.get_account(wired.slug, PLAYER, "USD")["balance"])


@pytest.mark.parametrize("protocol", ["igsp", "public_api"])
def test_clean_sandbox_passes_every_case_and_stays_money_neutral(cert, protocol):
    result = run(cert, protocol)
    print({r.case_id: r.actual for r in result.results.filter(passed=False)})
    assert failing(result) == set()
    assert result.status == RunStatus.PASSED
    assert result.total == result.done >= 50
    assert balance(cert) == START
    assert result.adjustments == []


# fault → (protocol, the groups run, the cases that must fail: every other case of those groups passes)
FAULTS = {
    "double_credit": (
        "igsp",
        {"win": {"double_credit": True}},
        ["idempotency", "sequence"],
        {"idem_win_twice", "sequence_balances_add_up"},
    ),
    "ignore_signature": (
        "public_api",
        {a: {"ignore_signature": True} for a in ("balance", "bet", "win", "refund")},
        ["signature", "sequence"],
        {
            "sig_bad_bet",
            "sig_bad_win",
            "sig_bad_refund",
            "sig_wrong_key",
            "sig_tampered_body",
            "sig_missing",
            "sig_bad_balance",
        },
    ),
    "round_amounts": (
        "igsp",
        {a: {"round_amounts": True} for a in ("bet", "win", "refund")},
        ["precision", "sequence"],
        {
            "precision_smallest_unit",
            "precision_fraction",
            "precision_beyond_bet",
            "precision_beyond_win",
            "sequence_balances_add_up",
        },
    ),
    "slow_balance": ("igsp", {"balance": {"latency_ms": 1000}}, ["timing"], {"timing_balance"}),
    "refund_errors": (
        "public_api",
        {"refund": {"error_rate": 1.0}},
        ["refund", "balance"],
        {"refund_credits", "refund_shape", "refund_unknown_bet", "refund_after_win", "refund_bet_after_refund"},
    ),
    "bet_declined_insufficient": (
        "igsp",
        {"bet": {"decline_code": "insufficient_funds"}},
        ["bet", "funds"],
        {"bet_debits", "bet_shape", "bet_partner_tx_id", "bet_balance_in_answer"},
    ),
    "win_dropped": (
        "igsp",
        {"win": {"drop_rate": 1.0, "drop_mode": "before"}},
        ["win", "bet"],
        {"win_credits", "win_shape", "win_zero", "win_jackpot"},
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_fails_exactly_the_matching_cases(cert, fault):
    protocol, faults, groups, expected = FAULTS[fault]
    cert.sandbox.set_faults(cert.slug, faults, seed=1)
    budget = Decimal("0.7") if fault.startswith("slow") else None  # the budget scaled down: 1 s is "slow" here
    result = run(cert, protocol, groups=groups, budget=budget)
    assert result.status == RunStatus.FAILED
    assert failing(result) == expected, {r.case_id: r.actual for r in result.results.filter(passed=False)}
    assert result.done == result.total > len(expected)
    for row in result.results.filter(passed=False):
        assert row.fix
        assert row.expected
        assert row.exchanges  # the one-line fix, expected vs actual, the exchanges
    cert.sandbox.clear_faults(cert.slug)
    assert balance(cert) == START  # the runner restored the test player's balance
