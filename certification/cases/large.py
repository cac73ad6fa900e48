"""Large-amount cases: a large win is exact, a huge bet is refused cleanly (no overflow, no float)."""

from __future__ import annotations

from decimal import Decimal

from .base import Context, Result, case, new_id, refused, undo_bet


@case(
    "large_win_exact",
    "large",
    "A large win (123456789.12) and its bet back are exact",
    "Store amounts in a decimal column wide enough for large wins (≥ 12 integer digits); never in a float.",
)
def large_win_exact(ctx: Context) -> Result:
    amount = Decimal("123456789.12") if ctx.places >= 2 else Decimal(123456789)
    round_id = new_id()
    ctx.bet(Decimal(0), round_id=round_id)
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.win(amount, round_id=round_id)
    ctx.bet(amount)  # take it back: a bet of the same amount
    return delta.exchange.ok and delta.moved(amount), f"balance +{amount}", delta.actual


@case(
    "large_bet_refused",
    "large",
    "A bet far above the balance (10^11) is refused cleanly",
    "Refuse a huge bet with a 4xx (insufficient_funds), never a 500 or an overflow.",
)
def large_bet_refused(ctx: Context) -> Result:
    with ctx.watch() as delta:
        amount = Decimal("100000000000.00")
        delta.exchange, tx = ctx.bet(amount)
    undo_bet(ctx, delta.exchange, tx, amount)
    return refused(delta.exchange) and delta.moved(), "HTTP 4xx, no money moved", delta.actual
