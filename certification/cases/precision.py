"""Precision cases: amounts keep every decimal of the currency's precision, and none beyond it."""

from __future__ import annotations

from decimal import Decimal

from .base import IGSP, STAKE, Context, Result, bet_and_refund, case, new_id, refused, undo_bet, undo_win, win_round


@case(
    "precision_smallest_unit",
    "precision",
    "A bet of the currency's smallest unit debits exactly that",
    "Store amounts as decimals with the currency's precision; never round to fewer places.",
)
def precision_smallest_unit(ctx: Context) -> Result:
    delta = bet_and_refund(ctx, ctx.unit)
    return delta.exchange.ok and delta.moved(-ctx.unit), f"balance −{ctx.unit}", delta.actual


@case(
    "precision_fraction",
    "precision",
    "A win at full precision credits exactly",
    "Keep every decimal of the currency's precision (e.g. 1.23); parse amounts as decimals, never floats.",
)
def precision_fraction(ctx: Context) -> Result:
    amount = Decimal("1.23") if ctx.places >= 2 else Decimal(1)
    delta = win_round(ctx, amount)
    return delta.exchange.ok and delta.moved(amount), f"balance +{amount}", delta.actual


@case(
    "precision_beyond_bet",
    "precision",
    "A bet with more decimals than the currency has is refused",
    "Refuse (400) an amount with more decimals than the currency's precision instead of rounding it.",
)
def precision_beyond_bet(ctx: Context) -> Result:
    amount = ctx.unit / 10
    with ctx.watch() as delta:
        delta.exchange, tx = ctx.bet(amount)
    undo_bet(ctx, delta.exchange, tx, amount)
    return refused(delta.exchange) and delta.moved(), "HTTP 4xx, no money moved", delta.actual


@case(
    "precision_beyond_win",
    "precision",
    "A win with more decimals than the currency has is refused",
    "Refuse (400) a win amount beyond the currency's precision instead of rounding it.",
)
def precision_beyond_win(ctx: Context) -> Result:
    amount = Decimal(1) + ctx.unit / 2
    round_id = new_id()
    ctx.bet(STAKE, round_id=round_id)
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.win(amount, round_id=round_id)
    before, after = delta.before, delta.after
    if delta.exchange.ok:
        undo_win(ctx, delta.exchange, (after - before) if after is not None and before is not None else amount)
    else:
        ctx.win(STAKE, round_id=round_id)
    return refused(delta.exchange) and delta.moved(), "HTTP 4xx, no money moved", delta.actual


@case("precision_negative", "precision", "A negative amount is refused", "Refuse (400) negative amounts.")
def precision_negative(ctx: Context) -> Result:
    with ctx.watch() as delta:
        if ctx.protocol == IGSP:
            delta.exchange, _tx = ctx.bet(Decimal("-1.00"))
        else:
            body = ctx.driver.money_body(ctx, new_id(), Decimal(1), new_id(), False, None)
            body["amount"] = "-1.00"
            delta.exchange = ctx.record(ctx.driver.post("bet", body))
    if delta.after is not None and delta.before is not None and delta.after != delta.before:
        ctx.restore()
    return refused(delta.exchange) and delta.moved(), "HTTP 4xx, no money moved", delta.actual
