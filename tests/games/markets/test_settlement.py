"""Market operations pay through the wallet: resolve → wins (zero for losers), void/cancel → refunds."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from games import services as play
from games.markets import lifecycle, settlement
from games.markets.errors import MarketError
from games.models import Market, MarketStatus, Position, PositionStatus
from wallet import services as wallet
from wallet.models import GameSession, Transaction, TxKind, TxStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(games_catalog):
    return lifecycle.market_create(title="Will it rain?", b=Decimal("100"), close_at=timezone.now() + timedelta(days=3))


def demo_session(games_catalog, player, balance="100.00"):
    return wallet.session_create(
        protocol="igsp",
        game=games_catalog["prediction-markets"],
        player_id=player,
        currency="USD",
        is_demo=True,
        demo_balance=Decimal(balance),
    ).session


def balance(session) -> Decimal:
    return GameSession.objects.get(pk=session.pk).demo_balance


def test_resolve_pays_winners_shares_and_closes_losers_with_zero_wins(games_catalog, market):
    alice, bob, carol = (demo_session(games_catalog, p) for p in ("alice", "bob", "carol"))
    a = play.bet_market(session=alice, market_id=market.pk, outcome="YES", amount=Decimal("10.00"))
    b = play.bet_market(session=bob, market_id=market.pk, outcome="NO", amount=Decimal("5.00"))
    c = play.bet_market(session=carol, market_id=market.pk, outcome="YES", amount=Decimal("2.00"))
    play.cash_out(session=carol, bet_id=c.position.pk)
    carol_after_cash_out = balance(carol)
    paid = settlement.market_settle(market_id=market.pk, action="resolve", outcome="YES", actor="test")
    assert paid == 2  # the cashed-out position is already settled
    shares = a.position.shares.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    assert balance(alice) == Decimal("90.00") + shares
    assert balance(bob) == Decimal("95.00")
    assert balance(carol) == carol_after_cash_out
    bob_win = Transaction.objects.get(kind=TxKind.WIN, session=bob)
    assert bob_win.amount == 0
    assert bob_win.status == TxStatus.CONFIRMED
    assert Position.objects.get(pk=b.position.pk).status == PositionStatus.LOST
    assert Market.objects.get(pk=market.pk).status == MarketStatus.RESOLVED
    with pytest.raises(MarketError):
        settlement.market_settle(market_id=market.pk, action="void", actor="test")
    assert Transaction.objects.filter(kind=TxKind.REFUND).count() == 0


@pytest.mark.parametrize("action", ["void", "cancel"])
def test_void_and_cancel_refund_every_open_stake(games_catalog, market, action):
    alice, bob = demo_session(games_catalog, "alice"), demo_session(games_catalog, "bob")
    play.bet_market(session=alice, market_id=market.pk, outcome="YES", amount=Decimal("10.00"))
    play.bet_market(session=bob, market_id=market.pk, outcome="NO", amount=Decimal("7.50"))
    assert settlement.market_settle(market_id=market.pk, action=action, actor="test") == 2
    assert balance(alice) == Decimal("100.00")
    assert balance(bob) == Decimal("100.00")
    assert Transaction.objects.filter(kind=TxKind.REFUND).count() == 2


def test_real_session_payouts_go_to_the_outbox(games_catalog, market, igsp_partner, monkeypatch):
    from wallet import transport
    from wallet.transport import WalletResult

    class Accepting:
        def bet(self, tx):
            return WalletResult("ok", http_status=200, balance=Decimal("50.00"))

    monkeypatch.setitem(transport._registry, "igsp", Accepting())
    session = wallet.session_create(
        protocol="igsp",
        partner=igsp_partner,
        game=games_catalog["prediction-markets"],
        player_id="p",
        currency="EUR",
        partner_session_ref="r1",
    ).session
    play.bet_market(session=session, market_id=market.pk, outcome="NO", amount=Decimal("3.00"))
    settlement.market_settle(market_id=market.pk, action="resolve", outcome="NO", actor="test")
    win = Transaction.objects.get(kind=TxKind.WIN)
    assert win.status == TxStatus.PENDING
    assert win.amount > Decimal("3.00")


def test_resolve_and_void_commands(games_catalog, market):
    alice = demo_session(games_catalog, "alice")
    play.bet_market(session=alice, market_id=market.pk, outcome="YES", amount=Decimal("1.00"))
    out = io.StringIO()
    call_command("resolve_market", str(market.pk), "NO", stdout=out)
    assert "1 position" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("void_market", str(market.pk))
    with pytest.raises(CommandError):
        call_command("void_market", "not-a-market")
    other = lifecycle.market_create(title="Other", b=Decimal("50"), close_at=timezone.now() + timedelta(days=1))
    play.bet_market(session=alice, market_id=other.pk, outcome="YES", amount=Decimal("1.00"))
    call_command("void_market", str(other.pk), stdout=io.StringIO())
    assert Transaction.objects.filter(kind=TxKind.REFUND).count() == 1
