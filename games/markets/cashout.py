"""Cash-out: selling an open position back to the market before it settles. No money moves here.

``position_cash_out_quote`` previews; ``position_cash_out`` runs in the same DB transaction as the
wallet's pending win (outbox). Cash-outs per player per UTC day are counted race-free in ``CashOutDay``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.db import get_or_none
from core.errors import NotFound
from core.money import precision, quantum, to_decimal

from ..models import CashOutDay, Market, Position, PositionStatus
from . import lmsr
from .books import book_q, check_tradable, lock_market, locked_book, move_q, record_event
from .errors import CashOutLimitReached, MarketConflict, MarketError
from .limits import cashout_limit_per_day, market_margin

ODDS_PLACES = 2


def _player_key(position: Position, player_key: str | None) -> str:
    return player_key or f"session:{position.session_id}"


def _cash_out_limit_reached(limit: int) -> MarketError:
    return CashOutLimitReached(f"No more than {limit} cash-outs per day.", code="cashout_limit")


def cashouts_today(player_key: str, now: datetime | None = None) -> int:
    """Cash-outs counted against the player's limit today (UTC)."""
    return (
        get_or_none(
            CashOutDay.objects.values_list("count", flat=True),
            player_key=player_key,
            day=(now or timezone.now()).astimezone(UTC).date(),
        )
        or 0
    )


def _take_cash_out_slot(player_key: str, now: datetime) -> None:
    """Count a cash-out against the player's daily limit, in the caller's transaction (race-free: the
    conditional UPDATE locks the day's row and re-checks the count after a concurrent one commits)."""
    limit = cashout_limit_per_day()
    if not limit:
        return
    day = now.astimezone(UTC).date()
    try:
        with transaction.atomic():
            CashOutDay.objects.get_or_create(player_key=player_key, day=day)
    except IntegrityError:  # created concurrently
        pass
    if not CashOutDay.objects.filter(player_key=player_key, day=day, count__lt=limit).update(count=F("count") + 1):
        raise _cash_out_limit_reached(limit)


def _check_cash_out(
    position: Position, market: Market, now: datetime, player_key: str | None = None, done_today: int | None = None
) -> None:
    if position.status == PositionStatus.CASHED_OUT:
        raise MarketConflict("This bet has already been cashed out.", code="already_cashed_out")
    if position.status != PositionStatus.OPEN:
        raise MarketConflict("This bet is already settled.", code="position_settled")
    check_tradable(market, now)
    limit = cashout_limit_per_day()
    if done_today is None and limit:
        done_today = cashouts_today(_player_key(position, player_key), now)
    if limit and done_today is not None and done_today >= limit:
        raise _cash_out_limit_reached(limit)


def _cash_out_value(position: Position, market: Market, places: int | None) -> tuple[Decimal, Decimal]:
    margin = market_margin()
    q_yes, q_no = book_q(market, position.currency, demo=position.demo)
    value = lmsr.cash_out_value(
        q_yes,
        q_no,
        market.b,
        position.outcome,
        position.shares,
        margin,
        precision(position.currency, places),
    )
    return value, margin


def position_cash_out_quote(
    *,
    position: Position,
    places: int | None = None,
    now: datetime | None = None,
    player_key: str | None = None,
    cashouts_today: int | None = None,
) -> dict:
    """What cashing out ``position`` would pay now (no writes).

    Returns ``{"betId", "cashOutValue", "margin", "originalStake", "currentOdds",
    "currentPrice", "shares", "currency"}`` (Decimals): ``currentOdds`` are the
    decimal odds ``1 / currentPrice`` of the position's outcome (2 dp, rounded down).
    A listing of many positions passes what it read once: the market (``select_related``, its books via
    ``with_books``) and the player's ``cashouts_today``.
    """
    now = now or timezone.now()
    loaded = Position.market.is_cached(position)
    market = position.market if loaded else Market.objects.get(pk=position.market_id)
    _check_cash_out(position, market, now, player_key, cashouts_today)
    value, margin = _cash_out_value(position, market, places)
    current_price = lmsr.price(*book_q(market, position.currency, demo=position.demo), market.b, position.outcome)
    return {
        "betId": position.pk,
        "cashOutValue": value,
        "margin": margin,
        "originalStake": position.stake,
        "currentOdds": (Decimal(1) / current_price).quantize(quantum(ODDS_PLACES), rounding=ROUND_DOWN),
        "currentPrice": current_price,
        "shares": position.shares,
        "currency": position.currency,
    }


def position_cash_out(
    *,
    position_id,
    session_id=None,
    min_value=None,
    places: int | None = None,
    actor: str = "",
    player_key: str | None = None,
) -> Position:
    """Sell an open position back to the market; returns it with ``cash_out_value`` (= ``payout``) set.

    Run it in the same DB transaction that writes the wallet's win. ``session_id``
    (when given) must own the position (else ``NotFound``); ``min_value`` (the
    previewed value) refuses with ``cash_out_value_changed`` when the value fell below it.
    """
    now = timezone.now()
    with transaction.atomic():
        market_id = Position.objects.filter(pk=position_id).values_list("market_id", flat=True).first()
        if market_id is None:
            raise NotFound("Bet not found.", code="bet_not_found")
        market = lock_market(market_id)
        position = Position.objects.select_for_update().get(pk=position_id)
        if session_id is not None and str(position.session_id) != str(session_id):
            raise NotFound("Bet not found.", code="bet_not_found")
        _check_cash_out(position, market, now, player_key)
        value, margin = _cash_out_value(position, market, places)
        if value <= 0:
            raise MarketError("This bet has no cash-out value right now.", code="cash_out_unavailable")
        if min_value is not None and value < to_decimal(min_value):
            raise MarketConflict("The cash-out value has changed; preview again.", code="cash_out_value_changed")
        _take_cash_out_slot(_player_key(position, player_key), now)
        book = move_q(market, locked_book(market, position.currency, position.demo), position.outcome, -position.shares)
        position.status = PositionStatus.CASHED_OUT
        position.cash_out_value = value
        position.payout = value
        position.settled_at = now
        position.save(update_fields=["status", "cash_out_value", "payout", "settled_at"])
        record_event(
            market,
            "cash_out",
            actor,
            position=position.pk,
            outcome=position.outcome,
            shares=position.shares,
            value=value,
            margin=margin,
            currency=position.currency,
            demo=position.demo,
            q_yes=book.q_yes,
            q_no=book.q_no,
        )
    return position
