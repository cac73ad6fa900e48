"""Funds cases: a bet above the balance is refused with insufficient_funds and moves nothing."""

from __future__ import annotations

from decimal import Decimal

from .base import Context, Delta, Result, case, delta_text, show, undo_bet


def over_balance(ctx: Context) -> Delta:
    """A bet of the balance plus 1000, between two reads; refunded when the wallet took it."""
    with ctx.watch() as delta:
        amount = (delta.before or Decimal(0)) + Decimal(1000)
        delta.exchange, tx = ctx.bet(amount)
    undo_bet(ctx, delta.exchange, tx, amount)
    return delta


@case(
    "funds_insufficient_code",
    "funds",
    "A bet above the balance is refused with insufficient_funds",
    "Refuse with HTTP 400 and the documented code insufficient_funds (IGSP error / Public API code), never 500.",
)
def funds_insufficient_code(ctx: Context) -> Result:
    exchange = over_balance(ctx).exchange
    passed = exchange.status == 400 and ctx.driver.error_code(exchange) == "insufficient_funds"
    return passed, "HTTP 400 insufficient_funds", show(exchange)


@case(
    "funds_insufficient_nothing_moved",
    "funds",
    "A refused bet moves no money",
    "Check the balance and debit in one locked update; a refused bet must leave the balance as it was.",
)
def funds_insufficient_nothing_moved(ctx: Context) -> Result:
    delta = over_balance(ctx)
    return delta.moved(), "balance unchanged", delta_text(delta.before, delta.after)


@case(
    "funds_error_shape",
    "funds",
    "The refusal matches the contract's error shape",
    "Answer errors in the contract's error shape (IGSP {error, message}; Public API {message, code, action?}).",
)
def funds_error_shape(ctx: Context) -> Result:
    exchange = over_balance(ctx).exchange
    problems = exchange.shape_errors if exchange.status and exchange.status >= 400 else [show(exchange)]
    return not problems, "an error response per the contract", "; ".join(problems) or "conforms"
