"""Concurrent bets on one market serialize on the market row lock (PostgreSQL only)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection

from games.markets import books, cashout, lmsr, trading
from games.models import Market, Position
from tests.conftest import run_together

from ..factories import make_market

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks"),
]


def test_parallel_bets_each_pay_the_price_of_the_state_they_saw():
    market = make_market(b="100")

    def bet(i: int):
        trading.position_open(
            market_id=market.pk,
            session_id=uuid.uuid4(),
            round_id=uuid.uuid4(),
            outcome="YES" if i % 3 else "NO",
            stake=Decimal("25.00"),
            currency="USD",
            demo=False,
        )

    run_together(8, bet)  # re-raises a bet's exception
    positions = list(Position.objects.filter(market=market))
    assert len(positions) == 8
    q_yes, q_no = books.book_q(market, "USD")
    assert q_yes == sum(p.shares for p in positions if p.outcome == "YES")
    assert q_no == sum(p.shares for p in positions if p.outcome == "NO")
    # Serialized pricing: the market maker collected at least what the shares cost (no lost update).
    collected = sum(p.stake for p in positions)
    assert lmsr.cost(q_yes, q_no, market.b) - lmsr.cost(0, 0, market.b) <= collected
    assert Market.objects.get(pk=market.pk).events.filter(action="bet").count() == 8


def test_two_cash_outs_at_once_cannot_both_take_the_last_slot_of_the_day(settings):
    """Positions in two markets (two different market locks), one player, one slot left: one cash-out wins."""
    settings.HUB_CASHOUT_LIMIT_PER_DAY = 2
    positions = [
        trading.position_open(
            market_id=make_market().pk,
            session_id=uuid.uuid4(),
            round_id=uuid.uuid4(),
            outcome="YES",
            stake=Decimal("5.00"),
            currency="USD",
            demo=False,
        )
        for _ in range(3)
    ]
    cashout.position_cash_out(position_id=positions.pop().pk, player_key="partner:p-1")  # the day's first

    def cash_out(i: int) -> str:
        try:
            cashout.position_cash_out(position_id=positions[i].pk, player_key="partner:p-1")
            return "cashed_out"
        except Exception as exc:
            return getattr(exc, "code", repr(exc))

    outcomes = run_together(len(positions), cash_out)
    assert sorted(outcomes) == ["cashed_out", "cashout_limit"]
    assert Position.objects.filter(status="cashed_out").count() == 2
