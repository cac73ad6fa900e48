"""Currency cases: a call in another currency than the player's wallet is refused, never converted."""

from __future__ import annotations

from .base import IGSP, STAKE, Context, Result, case, refused, show


def other_currency(ctx: Context) -> str:
    """A currency code that is not the test player's."""
    return "XTS" if ctx.currency != "XTS" else "XXX"


@case(
    "currency_mismatch_bet",
    "currency",
    "A bet in another currency than the player's is refused",
    "Check the currency against the player's wallet; refuse (4xx) a mismatch, never convert or open a new wallet.",
    (IGSP,),
)
def currency_mismatch_bet(ctx: Context) -> Result:
    with ctx.watch() as delta:
        delta.exchange, _tx = ctx.bet(STAKE, currency=other_currency(ctx))
    return refused(delta.exchange) and delta.moved(), "HTTP 4xx, no money moved", delta.actual


@case(
    "currency_mismatch_balance",
    "currency",
    "A balance call in another currency is refused",
    "Refuse (4xx) a balance call in a currency the player has no wallet in.",
    (IGSP,),
)
def currency_mismatch_balance(ctx: Context) -> Result:
    exchange = ctx.balance_call(currency=other_currency(ctx))
    return refused(exchange), "HTTP 4xx", show(exchange)
