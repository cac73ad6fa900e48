"""A market's books and the row lock every trade takes; the audit event every operation writes.

Each currency trades against its own book (``MarketBook``: q per outcome), which
starts at the market's opening q on that currency's first bet: stakes in one
currency never move the prices another currency pays. Demo sessions (play money,
free and open to anyone) trade against their own books too (``demo=True``), so
play money never moves the price real money pays.

Low-level primitives ``market_apply_bet`` / ``market_apply_sell`` move q only.
Locks: the market row first, then positions ordered by pk.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.db import get_or_none
from core.errors import NotFound
from core.money import to_decimal

from ..models import Market, MarketBook, MarketEvent, MarketStatus, Outcome
from . import lmsr
from .errors import MarketError


def new_event(market: Market, action: str, actor: str, **details) -> MarketEvent:
    """The audit row, not saved yet."""
    return MarketEvent(market=market, action=action, actor=str(actor or "")[:200], details=details)


def record_event(market: Market, action: str, actor: str, **details) -> MarketEvent:
    """The audit row, saved."""
    event = new_event(market, action, actor, **details)
    event.save(force_insert=True)
    return event


def lock_market(market_id) -> Market:
    """The market's row, locked for the caller's transaction (``NotFound`` for an unknown or malformed id)."""
    try:
        return Market.objects.select_for_update().get(pk=market_id)
    except (Market.DoesNotExist, ValueError, TypeError):
        raise NotFound("Market not found.", code="market_not_found") from None


def check_outcome(outcome: str) -> str:
    if outcome not in Outcome.values:
        raise MarketError(f"Outcome must be one of {', '.join(Outcome.values)}.", code="invalid_outcome")
    return outcome


def check_tradable(market: Market, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if market.status != MarketStatus.OPEN or market.close_at <= now:
        raise MarketError("This market is not open for trading.", code="market_closed")


def remember_book(market: Market, book: MarketBook) -> None:
    """Attach ``book``'s q to the loaded ``market``, so ``book_q`` answers it without a query."""
    setattr(market, "hub_book_q", {(book.currency, book.demo): (book.q_yes, book.q_no)})  # noqa: B010 - not a field


def book_q(market: Market, currency: str, *, demo: bool = False) -> tuple[Decimal, Decimal]:
    """(q_yes, q_no) of the currency's real (or demo) book; the market's opening q before its first bet."""
    cached = getattr(market, "hub_book_q", {})
    if (currency, demo) in cached:
        return cached[(currency, demo)]
    row = get_or_none(MarketBook.objects.values_list("q_yes", "q_no"), market=market, currency=currency, demo=demo)
    return (row[0], row[1]) if row else (market.q_yes, market.q_no)


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
        setattr(market, "hub_book_q", {(currency, demo): found.get(market.pk, (market.q_yes, market.q_no))})  # noqa: B010
    return markets_


def locked_book(market: Market, currency: str, demo: bool) -> MarketBook:
    """The currency's real (or demo) book, created at the opening q; the caller holds the market's row lock
    (so no two transactions create or move one book at once)."""
    book, _ = MarketBook.objects.get_or_create(
        market=market, currency=currency, demo=demo, defaults={"q_yes": market.q_yes, "q_no": market.q_no}
    )
    remember_book(market, book)
    return book


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
    check_outcome(outcome)
    shares = to_decimal(shares)
    if shares <= 0:
        raise MarketError("Shares must be positive.", code="invalid_amount")
    with transaction.atomic():
        market = lock_market(market_id)
        check_tradable(market)
        book = move_q(market, locked_book(market, currency, demo), outcome, sign * shares)
        record_event(
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


def move_q(market: Market, book: MarketBook, outcome: str, delta: Decimal) -> MarketBook:
    field = "q_yes" if outcome == Outcome.YES else "q_no"
    value = getattr(book, field) + delta
    if value < 0:
        raise MarketError("Cannot sell more shares than are outstanding.", code="invalid_amount")
    setattr(book, field, value)
    book.save(update_fields=[field, "updated_at"])
    remember_book(market, book)
    return book
