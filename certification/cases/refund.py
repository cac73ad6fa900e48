"""Refund cases: a refund credits its bet back once, whatever came before it."""

from __future__ import annotations

from .base import STAKE, Context, Result, case, new_id, show, undo_win


@case("refund_credits", "refund", "A refund credits the bet back", "Credit the referenced bet's amount back once.")
def refund_credits(ctx: Context) -> Result:
    bet, bet_tx = ctx.bet(STAKE)
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.refund(bet_tx, STAKE)
    return bet.ok and delta.exchange.ok and delta.moved(STAKE), f"HTTP 200, balance +{STAKE}", delta.actual


@case("refund_shape", "refund", "Refund answer matches the contract", "Answer the contract's refund response.")
def refund_shape(ctx: Context) -> Result:
    _bet, bet_tx = ctx.bet(STAKE)
    exchange, _ = ctx.refund(bet_tx, STAKE)
    problems = exchange.shape_errors if exchange.ok else [show(exchange)]
    return not problems, "a refund response per the contract", "; ".join(problems) or "conforms"


@case(
    "refund_unknown_bet",
    "refund",
    "A refund of a bet never seen answers 200 and moves nothing",
    "Answer 200 with "
    "the current balance for a refund whose bet you never saw (we retry refunds until 200), and move no money.",
)
def refund_unknown_bet(ctx: Context) -> Result:
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.refund(new_id(), STAKE)
    return delta.exchange.ok and delta.moved(), "HTTP 200, balance unchanged", delta.actual


@case(
    "refund_after_win",
    "refund",
    "A refund of a bet whose round was won is answered 200 and credits at most the bet",
    "Answer 200 to a refund of a settled bet; credit its amount at most once, never more.",
)
def refund_after_win(ctx: Context) -> Result:
    round_id = new_id()
    _bet, bet_tx = ctx.bet(STAKE, round_id=round_id)
    ctx.win(STAKE, round_id=round_id)
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.refund(bet_tx, STAKE, round_id=round_id)
    if delta.moved(STAKE):  # the wallet credited the bet back: take it again
        undo_win(ctx, delta.exchange, STAKE)
    passed = delta.exchange.ok and (delta.moved() or delta.moved(STAKE))
    return passed, f"HTTP 200, balance +0 or +{STAKE}", delta.actual


@case(
    "refund_bet_after_refund",
    "refund",
    "A bet arriving after its refund does not debit",
    "Remember refunded "
    "transaction ids: a bet whose refund came first must not debit (answer 4xx or 200 without moving money).",
)
def refund_bet_after_refund(ctx: Context) -> Result:
    bet_tx = new_id()
    ctx.refund(bet_tx, STAKE)
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.bet(STAKE, tx=bet_tx)
    before, after = delta.before, delta.after
    if delta.exchange.ok and after is not None and before is not None and after < before:
        ctx.refund(bet_tx, STAKE)  # broken wallet: give the money back (a fresh refund id)
    passed = delta.exchange.status is not None and delta.moved()
    return passed, "no debit (4xx, or 200 unchanged)", delta.actual
