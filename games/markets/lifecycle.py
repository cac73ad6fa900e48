"""A market's life: create, edit, suspend, resume, and the settlement amounts (resolve, cancel, void).

``market_resolve`` / ``market_cancel`` / ``market_void`` return, for each open position, the amount the
wallet must pay (win, 0 for a loss, refund); ``settlement.py`` writes them to the wallet's outbox. Demo
positions are settled too, in demo money, and their totals kept apart.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone

from core.money import precision, quantum, to_decimal

from ..models import Market, MarketStatus, Position, PositionStatus
from .books import check_outcome, lock_market, record_event
from .errors import MarketConflict, MarketError


@dataclass(frozen=True)
class PositionPayout:
    """What the wallet owes one position after a settlement (``kind``: win, loss or refund)."""

    position: Position
    kind: str
    amount: Decimal

    @property
    def position_id(self) -> uuid.UUID:
        return self.position.pk

    @property
    def round_id(self) -> uuid.UUID:
        return self.position.round_id

    @property
    def session_id(self) -> uuid.UUID:
        return self.position.session_id

    @property
    def currency(self) -> str:
        return self.position.currency

    @property
    def demo(self) -> bool:
        """Play money: the wallet credits the demo session's balance, no partner is called."""
        return self.position.demo


@dataclass(frozen=True)
class MarketChange:
    market: Market
    payouts: list[PositionPayout]

    def _sum(self, demo: bool) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for p in self.payouts:
            if p.demo == demo:
                out[p.currency] = out.get(p.currency, Decimal(0)) + p.amount
        return out

    @property
    def total(self) -> dict[str, Decimal]:
        """Real money to pay per currency (demo positions are in ``demo_total``)."""
        return self._sum(False)

    @property
    def demo_total(self) -> dict[str, Decimal]:
        """Play money to credit per currency (demo positions)."""
        return self._sum(True)


_SETTLEABLE = (MarketStatus.OPEN, MarketStatus.SUSPENDED)


def _transition(market_id, allowed: tuple[str, ...], action: str) -> Market:
    market = lock_market(market_id)
    if market.status not in allowed:
        raise MarketConflict(f"Cannot {action} a market that is {market.status}.", code="invalid_transition")
    return market


def market_suspend(*, market_id, actor: str = "", reason: str = "") -> MarketChange:
    """Stop trading (bets and cash-outs) until resumed."""
    with transaction.atomic():
        market = _transition(market_id, (MarketStatus.OPEN,), "suspend")
        market.status = MarketStatus.SUSPENDED
        market.save(update_fields=["status", "updated_at"])
        record_event(market, "suspend", actor, reason=reason)
    return MarketChange(market, [])


def market_resume(*, market_id, actor: str = "", reason: str = "") -> MarketChange:
    with transaction.atomic():
        market = _transition(market_id, (MarketStatus.SUSPENDED,), "resume")
        market.status = MarketStatus.OPEN
        market.save(update_fields=["status", "updated_at"])
        record_event(market, "resume", actor, reason=reason)
    return MarketChange(market, [])


def _settle(
    market_id, target: str, action: str, actor: str, pay, outcome: str | None = None, reason: str = ""
) -> MarketChange:
    now = timezone.now()
    with transaction.atomic():
        market = _transition(market_id, _SETTLEABLE, action)
        positions = list(
            Position.objects.select_for_update().filter(market=market, status=PositionStatus.OPEN).order_by("pk")
        )
        payouts = []
        for position in positions:
            status, kind, amount = pay(position)
            position.status, position.payout, position.settled_at = status, amount, now
            payouts.append(PositionPayout(position, kind, amount))
        Position.objects.bulk_update(positions, ["status", "payout", "settled_at"], batch_size=500)
        market.status, market.outcome, market.resolved_at = target, outcome, now
        market.save(update_fields=["status", "outcome", "resolved_at", "updated_at"])
        change = MarketChange(market, payouts)
        record_event(
            market,
            action,
            actor,
            outcome=outcome,
            reason=reason,
            positions=len(payouts),
            demo_positions=sum(p.demo for p in payouts),
            totals=change.total,
            demo_totals=change.demo_total,
        )
    return change


def market_resolve(*, market_id, outcome: str, actor: str = "", places: dict[str, int] | None = None) -> MarketChange:
    """Resolve to ``outcome``: winners are owed shares × 1 (rounded down), losers 0.

    ``places`` optionally maps currency → precision (a partner's own setting).
    """
    check_outcome(outcome)

    def pay(position: Position):
        if position.outcome == outcome:
            places_ = precision(position.currency, (places or {}).get(position.currency))
            return PositionStatus.WON, "win", position.shares.quantize(quantum(places_), rounding=ROUND_DOWN)
        return PositionStatus.LOST, "loss", Decimal(0)

    return _settle(market_id, MarketStatus.RESOLVED, "resolve", actor, pay, outcome=outcome)


def _refund(position: Position):
    return PositionStatus.REFUNDED, "refund", position.stake


def market_cancel(*, market_id, actor: str = "", reason: str = "") -> MarketChange:
    """Call the market off: every open position is owed its stake back."""
    return _settle(market_id, MarketStatus.CANCELLED, "cancel", actor, _refund, reason=reason)


def market_void(*, market_id, actor: str = "", reason: str = "") -> MarketChange:
    """Void the market (it was invalid): every open position is owed its stake back."""
    return _settle(market_id, MarketStatus.VOIDED, "void", actor, _refund, reason=reason)


def market_create(
    *, title: str, b, close_at: datetime, q_yes=0, q_no=0, description: str = "", actor: str = ""
) -> Market:
    b, q_yes, q_no = to_decimal(str(b)), to_decimal(str(q_yes)), to_decimal(str(q_no))
    if b <= 0 or q_yes < 0 or q_no < 0:
        raise MarketError("Liquidity b must be > 0 and q_yes, q_no >= 0.", code="invalid_market")
    with transaction.atomic():
        market = Market.objects.create(
            title=title, description=description, b=b, q_yes=q_yes, q_no=q_no, close_at=close_at
        )
        record_event(market, "create", actor, b=b, q_yes=q_yes, q_no=q_no, close_at=close_at)
    return market


MARKET_EDITABLE_FIELDS = ("title", "description", "close_at")


def market_update(*, market_id, actor: str = "", **changes) -> Market:
    """Change a market's title, description or close time (pricing state changes only via trades)."""
    unknown = set(changes) - set(MARKET_EDITABLE_FIELDS)
    if unknown:
        raise MarketError(f"Not editable: {', '.join(sorted(unknown))}.", code="invalid_market")
    with transaction.atomic():
        market = lock_market(market_id)
        before = {name: getattr(market, name) for name in changes}
        for name, value in changes.items():
            setattr(market, name, value)
        market.save(update_fields=[*changes, "updated_at"])
        changed = {k: {"from": before[k], "to": v} for k, v in changes.items() if before[k] != v}
        if changed:
            record_event(market, "update", actor, changes=changed)
    return market
