"""Prediction-market services: pricing, state changes, settlement amounts. No money moves here.

The wallet calls these inside its own DB transactions and moves the money:

- bet:       ``market_quote_bet`` (before writing anything) → partner debit →
             ``position_open`` (re-prices under the market lock, creates the Position,
             moves q; idempotent on ``round_id``).
- cash-out:  ``position_cash_out_quote`` (preview) → ``position_cash_out`` in the
             same DB transaction as the wallet's pending win (outbox).
- settle:    ``market_resolve`` / ``market_cancel`` / ``market_void`` return, for each
             open position, the amount the wallet must pay (win, 0 for a loss, refund).

Low-level primitives ``market_apply_bet`` / ``market_apply_sell`` move q only.
Every operation writes a ``MarketEvent``. Locks: the market row first, then
positions ordered by pk.

Each currency trades against its own book (``MarketBook``: q per outcome), which
starts at the market's opening q on that currency's first bet: stakes in one
currency never move the prices another currency pays. Demo sessions (play money,
free and open to anyone) trade against their own books too (``demo=True``), so
play money never moves the price real money pays; a position remembers which book
it traded on (``Position.demo``), and exposure, cash-out quotes, settlement totals
and the admin keep the two apart. Demo positions are still settled (in demo money,
by the wallet).

Settings (their defaults are written once, in ``config/settings/base.py``):
``HUB_MARKET_MARGIN`` (Decimal, default 0.05), ``HUB_MARKET_STAKE_LIMITS``
(currency → (min, max); key ``"*"`` = every other currency; default: fiat 0.10–500, crypto units
about as much), ``HUB_MARKET_MAX_EXPOSURE`` (an amount, or currency → amount with ``"*"``;
default None = 100 maximum stakes, 50000 USD: the most the market may have to pay out on one
outcome, per currency), ``HUB_CASHOUT_LIMIT_PER_DAY``
(cash-outs per player per UTC day, counted race-free in ``CashOutDay``; default 10; 0 = no limit).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.db import PreparedGet, get_or_none, write_rows
from core.errors import ApplicationError, Conflict, NotFound
from core.money import fits, quantum, to_decimal

from ..models import CashOutDay, Market, MarketBook, MarketEvent, MarketStatus, Outcome, Position, PositionStatus
from ..money import precision_for
from . import lmsr

EXPOSURE_PER_MAX_STAKE = 100  # HUB_MARKET_MAX_EXPOSURE = None: 100 maximum stakes of the currency
ODDS_PLACES = 2


class MarketError(ApplicationError):
    """A market rule refused the operation; ``code`` says which (stable, client-facing)."""

    code = "market_error"


def _refuse(code: str, message: str, status_code: int = HTTPStatus.BAD_REQUEST) -> MarketError:
    return MarketError(message, code=code, status_code=status_code)


# --------------------------------------------------------------- settings --


def market_margin() -> Decimal:
    margin = to_decimal(str(settings.HUB_MARKET_MARGIN))
    if not Decimal(0) <= margin < 1:
        raise ValueError("HUB_MARKET_MARGIN must be in [0, 1)")
    return margin


def stake_limits(currency: str) -> tuple[Decimal, Decimal]:
    """(min, max) stake for ``currency`` from HUB_MARKET_STAKE_LIMITS: its own entry, else the ``"*"`` entry
    (``games.checks`` makes ``manage.py check`` refuse a table without one)."""
    limits = settings.HUB_MARKET_STAKE_LIMITS
    low, high = limits.get(currency) or limits["*"]
    return to_decimal(str(low)), to_decimal(str(high))


def max_exposure(currency: str) -> Decimal:
    """The most a market may pay out on one outcome in ``currency``: HUB_MARKET_MAX_EXPOSURE (an amount,
    or currency → amount with ``"*"``), else 100 maximum stakes of the currency."""
    default = stake_limits(currency)[1] * EXPOSURE_PER_MAX_STAKE
    value = settings.HUB_MARKET_MAX_EXPOSURE
    if isinstance(value, dict):
        value = value.get(currency, value.get("*"))
    return to_decimal(str(value)) if value is not None else default


def cashout_limit_per_day() -> int:
    return int(settings.HUB_CASHOUT_LIMIT_PER_DAY)


# ---------------------------------------------------------------- helpers --


def _new_event(market: Market, action: str, actor: str, **details) -> MarketEvent:
    """The audit row, not saved yet."""
    return MarketEvent(market=market, action=action, actor=str(actor or "")[:200], details=details)


def _event(market: Market, action: str, actor: str, **details) -> MarketEvent:
    event = _new_event(market, action, actor, **details)
    event.save(force_insert=True)
    return event


def _bet_details(position: Position, book: MarketBook) -> dict:
    """What a bet's audit row records: the trade and the book's q after it."""
    return dict(
        position=position.pk,
        round=position.round_id,
        outcome=position.outcome,
        stake=position.stake,
        currency=position.currency,
        demo=position.demo,
        shares=position.shares,
        q_yes=book.q_yes,
        q_no=book.q_no,
    )


def _lock_market(market_id) -> Market:
    try:
        return Market.objects.select_for_update().get(pk=market_id)
    except (Market.DoesNotExist, ValueError, TypeError):
        raise NotFound("Market not found.", code="market_not_found") from None


def _check_outcome(outcome: str) -> str:
    if outcome not in Outcome.values:
        raise _refuse("invalid_outcome", f"Outcome must be one of {', '.join(Outcome.values)}.")
    return outcome


def _check_tradable(market: Market, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if market.status != MarketStatus.OPEN or market.close_at <= now:
        raise _refuse("market_closed", "This market is not open for trading.")


def _check_stake(amount, currency: str, places: int) -> Decimal:
    try:
        amount = to_decimal(amount)
    except (TypeError, ArithmeticError, ValueError):
        raise _refuse("invalid_amount", "The stake must be a decimal amount.") from None
    if not amount.is_finite() or amount <= 0 or not fits(amount, places):
        raise _refuse("invalid_amount", f"The stake must be a positive amount with at most {places} decimals.")
    low, high = stake_limits(currency)
    if amount < low:
        raise _refuse("stake_too_low", f"The minimum stake is {low} {currency}.")
    if amount > high:
        raise _refuse("stake_too_high", f"The maximum stake is {high} {currency}.")
    return amount


def _exposure_after(market: Market, q: tuple[Decimal, Decimal], outcome: str, shares: Decimal) -> Decimal:
    """The most this market could pay out in the book's currency (one outcome wins) after adding ``shares``.

    Read from the book, not from the positions: a book's q is the market's opening q plus every open
    position's shares (``position_open`` adds them, ``position_cash_out`` takes them back out, both under the
    market's row lock), so the outstanding shares per outcome are ``q - opening q`` and the check costs the
    same on a market with 100,000 open positions as on a fresh one. The real and the demo books are apart, so
    demo positions never count toward the real exposure, nor real toward demo."""
    outstanding = {
        Outcome.YES.value: max(q[0] - market.q_yes, Decimal(0)),
        Outcome.NO.value: max(q[1] - market.q_no, Decimal(0)),
    }
    outstanding[outcome] += shares
    return max(outstanding.values())


def _price_bet(
    market: Market, outcome: str, amount, currency: str, places: int | None, now: datetime | None, demo: bool
) -> tuple[Decimal, Decimal]:
    """Validate a bet against ``market`` as loaded and return (stake, shares), on the real or the demo book."""
    _check_outcome(outcome)
    _check_tradable(market, now)
    stake = _check_stake(amount, currency, precision_for(currency, places))
    q_yes, q_no = book_q(market, currency, demo=demo)
    shares = lmsr.shares_for_stake(q_yes, q_no, market.b, outcome, stake)
    if shares <= 0:
        raise _refuse("stake_too_low", "The stake is too small to buy any shares.")
    limit = max_exposure(currency)
    if _exposure_after(market, (q_yes, q_no), outcome, shares) > limit:
        raise _refuse("exposure_limit", "This bet would exceed the market's exposure limit; try a smaller stake.")
    return stake, shares


def _player_key(position: Position, player_key: str | None) -> str:
    return player_key or f"session:{position.session_id}"


def _cash_out_limit_reached(limit: int) -> MarketError:
    return _refuse("cashout_limit", f"No more than {limit} cash-outs per day.", HTTPStatus.TOO_MANY_REQUESTS)


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
        raise _refuse("already_cashed_out", "This bet has already been cashed out.", HTTPStatus.CONFLICT)
    if position.status != PositionStatus.OPEN:
        raise _refuse("position_settled", "This bet is already settled.", HTTPStatus.CONFLICT)
    _check_tradable(market, now)
    limit = cashout_limit_per_day()
    if done_today is None and limit:
        done_today = cashouts_today(_player_key(position, player_key), now)
    if limit and done_today >= limit:
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
        precision_for(position.currency, places),
    )
    return value, margin


# ----------------------------------------------------------------- books --


def book_q(market: Market, currency: str, *, demo: bool = False) -> tuple[Decimal, Decimal]:
    """(q_yes, q_no) of the currency's real (or demo) book; the market's opening q before its first bet."""
    cached = getattr(market, "_book_q", {})
    if (currency, demo) in cached:
        return cached[(currency, demo)]
    row = get_or_none(MarketBook.objects.values_list("q_yes", "q_no"), market=market, currency=currency, demo=demo)
    return tuple(row) if row else (market.q_yes, market.q_no)


def book_prices(market: Market, currency: str, *, demo: bool) -> tuple[Decimal, Decimal]:
    """(YES, NO) prices a player in ``currency`` sees: a demo session (``demo``) sees the demo book."""
    q_yes, q_no = book_q(market, currency, demo=demo)
    return lmsr.prices(q_yes, q_no, market.b)


def with_books(markets_: list[Market], currency: str, *, demo: bool) -> list[Market]:
    """Attach the currency's real (or demo) book state to each market (one query for the whole list)."""
    rows = MarketBook.objects.filter(market__in=markets_, currency=currency, demo=demo).values_list(
        "market_id", "q_yes", "q_no"
    )
    found = {market_id: (q_yes, q_no) for market_id, q_yes, q_no in rows}
    for market in markets_:
        market._book_q = {(currency, demo): found.get(market.pk, (market.q_yes, market.q_no))}
    return markets_


def _locked_book(market: Market, currency: str, demo: bool) -> MarketBook:
    """The currency's real (or demo) book, created at the opening q; the caller holds the market's row lock
    (so no two transactions create or move one book at once)."""
    book, _ = MarketBook.objects.get_or_create(
        market=market, currency=currency, demo=demo, defaults={"q_yes": market.q_yes, "q_no": market.q_no}
    )
    market._book_q = {(currency, demo): (book.q_yes, book.q_no)}
    return book


# ------------------------------------------------------------------ bets --


def market_quote_bet(
    *,
    market: Market,
    outcome: str,
    amount,
    currency: str,
    demo: bool,
    places: int | None = None,
    now: datetime | None = None,
) -> Decimal:
    """Shares ``amount`` buys on ``outcome`` now, on the real book or (``demo``) the demo one. Validates;
    writes nothing.

    Raises ``MarketError`` with code ``invalid_outcome``, ``invalid_amount``,
    ``stake_too_low``, ``stake_too_high``, ``market_closed`` or ``exposure_limit``.
    ``places`` overrides the currency's precision (a partner's own setting).
    """
    return _price_bet(market, outcome, amount, currency, places, now, demo)[1]


def market_apply_bet(
    *, market_id, outcome: str, shares, currency: str, demo: bool = False, actor: str = ""
) -> MarketBook:
    """Add ``shares`` of ``outcome`` to the currency's book (market locked). Low-level; see ``position_open``."""
    return _apply_shares(market_id, outcome, shares, currency, demo, actor, sign=1)


def market_apply_sell(
    *, market_id, outcome: str, shares, currency: str, demo: bool = False, actor: str = ""
) -> MarketBook:
    """Take ``shares`` of ``outcome`` back out of the currency's book. Low-level; see ``position_cash_out``."""
    return _apply_shares(market_id, outcome, shares, currency, demo, actor, sign=-1)


def _apply_shares(market_id, outcome: str, shares, currency: str, demo: bool, actor: str, *, sign: int) -> MarketBook:
    _check_outcome(outcome)
    shares = to_decimal(shares)
    if shares <= 0:
        raise _refuse("invalid_amount", "Shares must be positive.")
    with transaction.atomic():
        market = _lock_market(market_id)
        _check_tradable(market)
        book = _move_q(market, _locked_book(market, currency, demo), outcome, sign * shares)
        _event(
            market,
            "bet" if sign > 0 else "sell",
            actor,
            outcome=outcome,
            shares=shares,
            currency=currency,
            demo=demo,
            q_yes=book.q_yes,
            q_no=book.q_no,
        )
    return book


def _move_q(market: Market, book: MarketBook, outcome: str, delta: Decimal) -> MarketBook:
    field = "q_yes" if outcome == Outcome.YES else "q_no"
    value = getattr(book, field) + delta
    if value < 0:
        raise _refuse("invalid_amount", "Cannot sell more shares than are outstanding.")
    setattr(book, field, value)
    book.save(update_fields=[field, "updated_at"])
    market._book_q = {(book.currency, book.demo): (book.q_yes, book.q_no)}
    return book


def position_open(
    *,
    market_id,
    session_id,
    round_id,
    outcome: str,
    stake,
    currency: str,
    demo: bool,
    places: int | None = None,
    actor: str = "",
    new_round: bool = False,
) -> Position:
    """Record a confirmed bet: re-price under the market lock, create the Position, move q.

    ``demo`` (the session's ``is_demo``) picks the book: a demo session trades against the market's demo
    book in its currency, never the real one. Idempotent on ``round_id``: a replay returns the existing
    position unchanged (``Conflict`` when it names another market, outcome, stake, currency or book).
    The shares may differ from the quote if other bets moved the market meanwhile.

    ``new_round``: the caller created ``round_id`` itself and calls this once for it (the wallet's bet
    confirmation), so no replay can exist: no look-up first and no savepoints of its own, which keeps the
    market's row lock to the statements that price and record the trade (lock, book, position, book, event).
    The returned position's ``market`` is the locked market with the moved book attached (``book_q`` reads
    it without a query), so the caller's answer needs no re-read.
    """
    if new_round:
        return _position_open_new(market_id, session_id, round_id, outcome, stake, currency, demo, places, actor)
    existing = Position.objects.filter(round_id=round_id).first()
    if existing is not None:
        return _same_position(existing, market_id, outcome, stake, currency, demo)
    with transaction.atomic():
        market = _lock_market(market_id)
        book = _locked_book(market, currency, demo)  # priced on the book's state under the lock
        stake, shares = _price_bet(market, outcome, stake, currency, places, None, demo)
        position = Position(
            market=market,
            session_id=session_id,
            round_id=round_id,
            outcome=outcome,
            stake=stake,
            shares=shares,
            currency=currency,
            demo=demo,
        )
        try:
            with transaction.atomic():
                position.save(force_insert=True)
        except IntegrityError:
            existing = Position.objects.filter(round_id=round_id).first()
            if existing is None:
                raise
            return _same_position(existing, market_id, outcome, stake, currency, demo)
        book = _move_q(market, book, outcome, shares)
        _event(market, "bet", actor, **_bet_details(position, book))
    return position


# The trade's statements under the market's row lock, compiled once per process (core.db): the lock, the book.
_MARKET_FOR_TRADE = PreparedGet(lambda: Market.objects.select_for_update())
_BOOK = {
    demo: PreparedGet(lambda demo=demo: MarketBook.objects.filter(demo=demo), by=("market_id", "currency"))
    for demo in (False, True)
}


def _position_open_new(
    market_id, session_id, round_id, outcome: str, stake, currency: str, demo: bool, places: int | None, actor: str
) -> Position:
    """``position_open`` for a round the caller just created, in the caller's transaction (the wallet's bet
    confirmation, which commits right after). The market's row lock is held for three statements: the lock,
    the book, and one that writes the position, the moved book and the audit event together (``write_rows``:
    one round trip on PostgreSQL). Every refusal comes before the first write."""
    try:
        market = _MARKET_FOR_TRADE.get(market_id)
    except (ValidationError, ValueError, TypeError):  # not a UUID
        market = None
    if market is None:
        raise NotFound("Market not found.", code="market_not_found")
    book = _BOOK[demo].get(market.pk, currency)
    if book is None:  # the currency's first bet: its book starts at the opening q (created under the lock)
        book = _locked_book(market, currency, demo)
    market._book_q = {(currency, demo): (book.q_yes, book.q_no)}
    stake, shares = _price_bet(market, outcome, stake, currency, places, None, demo)
    position = Position(
        market=market,
        session_id=session_id,
        round_id=round_id,
        outcome=outcome,
        stake=stake,
        shares=shares,
        currency=currency,
        demo=demo,
    )
    field = "q_yes" if outcome == Outcome.YES else "q_no"
    setattr(book, field, getattr(book, field) + shares)
    book.updated_at = timezone.now()
    event = _new_event(market, "bet", actor, **_bet_details(position, book))
    write_rows(
        [position, event], [(MarketBook, {"id": book.pk}, {field: getattr(book, field), "updated_at": book.updated_at})]
    )
    market._book_q = {(currency, demo): (book.q_yes, book.q_no)}
    return position


def _same_position(position: Position, market_id, outcome: str, stake, currency: str, demo: bool) -> Position:
    same = (
        str(position.market_id) == str(market_id)
        and position.outcome == outcome
        and position.currency == currency
        and position.stake == to_decimal(stake)
        and position.demo == demo
    )
    if not same:
        raise Conflict("This round already has a different bet.", code="duplicate_round")
    return position


# -------------------------------------------------------------- cash-out --


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
        market = _lock_market(market_id)
        position = Position.objects.select_for_update().get(pk=position_id)
        if session_id is not None and str(position.session_id) != str(session_id):
            raise NotFound("Bet not found.", code="bet_not_found")
        _check_cash_out(position, market, now, player_key)
        value, margin = _cash_out_value(position, market, places)
        if value <= 0:
            raise _refuse("cash_out_unavailable", "This bet has no cash-out value right now.")
        if min_value is not None and value < to_decimal(min_value):
            raise _refuse(
                "cash_out_value_changed", "The cash-out value has changed; preview again.", HTTPStatus.CONFLICT
            )
        _take_cash_out_slot(_player_key(position, player_key), now)
        book = _move_q(
            market, _locked_book(market, position.currency, position.demo), position.outcome, -position.shares
        )
        position.status = PositionStatus.CASHED_OUT
        position.cash_out_value = value
        position.payout = value
        position.settled_at = now
        position.save(update_fields=["status", "cash_out_value", "payout", "settled_at"])
        _event(
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


# ------------------------------------------------------- status and settlement --


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
    market = _lock_market(market_id)
    if market.status not in allowed:
        raise _refuse("invalid_transition", f"Cannot {action} a market that is {market.status}.", HTTPStatus.CONFLICT)
    return market


def market_suspend(*, market_id, actor: str = "", reason: str = "") -> MarketChange:
    """Stop trading (bets and cash-outs) until resumed."""
    with transaction.atomic():
        market = _transition(market_id, (MarketStatus.OPEN,), "suspend")
        market.status = MarketStatus.SUSPENDED
        market.save(update_fields=["status", "updated_at"])
        _event(market, "suspend", actor, reason=reason)
    return MarketChange(market, [])


def market_resume(*, market_id, actor: str = "", reason: str = "") -> MarketChange:
    with transaction.atomic():
        market = _transition(market_id, (MarketStatus.SUSPENDED,), "resume")
        market.status = MarketStatus.OPEN
        market.save(update_fields=["status", "updated_at"])
        _event(market, "resume", actor, reason=reason)
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
        _event(
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
    _check_outcome(outcome)

    def pay(position: Position):
        if position.outcome == outcome:
            places_ = precision_for(position.currency, (places or {}).get(position.currency))
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
        raise _refuse("invalid_market", "Liquidity b must be > 0 and q_yes, q_no >= 0.")
    with transaction.atomic():
        market = Market.objects.create(
            title=title, description=description, b=b, q_yes=q_yes, q_no=q_no, close_at=close_at
        )
        _event(market, "create", actor, b=b, q_yes=q_yes, q_no=q_no, close_at=close_at)
    return market


MARKET_EDITABLE_FIELDS = ("title", "description", "close_at")


def market_update(*, market_id, actor: str = "", **changes) -> Market:
    """Change a market's title, description or close time (pricing state changes only via trades)."""
    unknown = set(changes) - set(MARKET_EDITABLE_FIELDS)
    if unknown:
        raise _refuse("invalid_market", f"Not editable: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        market = _lock_market(market_id)
        before = {name: getattr(market, name) for name in changes}
        for name, value in changes.items():
            setattr(market, name, value)
        market.save(update_fields=[*changes, "updated_at"])
        changed = {k: {"from": before[k], "to": v} for k, v in changes.items() if before[k] != v}
        if changed:
            _event(market, "update", actor, changes=changed)
    return market
