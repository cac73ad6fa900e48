"""Bets on a market: the quote and the position a confirmed bet opens. No money moves here.

The wallet calls these inside its own DB transactions and moves the money: ``market_quote_bet`` (before
writing anything) → partner debit → ``position_open`` (re-prices under the market lock, creates the
Position, moves q; idempotent on ``round_id``). A position remembers which book it traded on
(``Position.demo``): real and demo money never share a book (``books.py``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.db import PreparedGet, write_rows
from core.errors import Conflict, NotFound
from core.money import precision, to_decimal

from ..models import Market, MarketBook, Outcome, Position
from . import lmsr
from .books import (
    book_q,
    check_outcome,
    check_tradable,
    lock_market,
    locked_book,
    move_q,
    new_event,
    record_event,
    remember_book,
)
from .errors import MarketError
from .limits import check_stake, exposure_after, max_exposure


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


def _price_bet(
    market: Market, outcome: str, amount, currency: str, places: int | None, now: datetime | None, demo: bool
) -> tuple[Decimal, Decimal]:
    """Validate a bet against ``market`` as loaded and return (stake, shares), on the real or the demo book."""
    check_outcome(outcome)
    check_tradable(market, now)
    stake = check_stake(amount, currency, precision(currency, places))
    q_yes, q_no = book_q(market, currency, demo=demo)
    shares = lmsr.shares_for_stake(q_yes, q_no, market.b, outcome, stake)
    if shares <= 0:
        raise MarketError("The stake is too small to buy any shares.", code="stake_too_low")
    limit = max_exposure(currency)
    if exposure_after(market, (q_yes, q_no), outcome, shares) > limit:
        raise MarketError(
            "This bet would exceed the market's exposure limit; try a smaller stake.", code="exposure_limit"
        )
    return stake, shares


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
        market = lock_market(market_id)
        book = locked_book(market, currency, demo)  # priced on the book's state under the lock
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
        book = move_q(market, book, outcome, shares)
        record_event(market, "bet", actor, **_bet_details(position, book))
    return position


# The trade's statements under the market's row lock, compiled once per process (core.db): the lock, the book.
_MARKET_FOR_TRADE = PreparedGet(lambda: Market.objects.select_for_update())


def _book_query(demo: bool) -> PreparedGet[MarketBook]:
    return PreparedGet(lambda: MarketBook.objects.filter(demo=demo), by=("market_id", "currency"))


_BOOK = {demo: _book_query(demo) for demo in (False, True)}


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
        book = locked_book(market, currency, demo)
    remember_book(market, book)
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
    event = new_event(market, "bet", actor, **_bet_details(position, book))
    write_rows(
        [position, event], [(MarketBook, {"id": book.pk}, {field: getattr(book, field), "updated_at": book.updated_at})]
    )
    remember_book(market, book)
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
