"""Idempotency cases: a call sent again (the same transaction id) moves money once and answers as the first."""

from __future__ import annotations

from .base import STAKE, Context, Result, case, new_id, show

IDEM_FIX = "Key every movement on our transaction id (a unique constraint), and answer a repeat with the first answer."


@case("idem_bet_twice", "idempotency", "The same bet sent twice debits once", IDEM_FIX)
def idem_bet_twice(ctx: Context) -> Result:
    with ctx.watch() as delta:
        tx, round_id = new_id(), new_id()
        first, _ = ctx.bet(STAKE, tx=tx, round_id=round_id)
        delta.exchange, _ = ctx.bet(STAKE, tx=tx, round_id=round_id)
    ctx.refund(tx, STAKE)  # a wallet that debited twice is made whole by the runner's restore
    passed = first.ok and delta.exchange.ok and delta.moved(-STAKE)
    return passed, f"both HTTP 200, balance −{STAKE} once", delta.actual


@case(
    "idem_bet_same_answer",
    "idempotency",
    "A repeated bet answers the same transaction id",
    "Store the first answer per transaction id and return it unchanged for a repeat.",
)
def idem_bet_same_answer(ctx: Context) -> Result:
    tx, round_id = new_id(), new_id()
    first, _ = ctx.bet(STAKE, tx=tx, round_id=round_id)
    second, _ = ctx.bet(STAKE, tx=tx, round_id=round_id)
    ctx.refund(tx, STAKE)
    a, b = ctx.driver.partner_tx_of(first), ctx.driver.partner_tx_of(second)
    return bool(first.ok and second.ok and a and a == b), f"the same id twice ({a})", b or show(second)


@case("idem_win_twice", "idempotency", "The same win sent twice credits once", IDEM_FIX)
def idem_win_twice(ctx: Context) -> Result:
    round_id, tx = new_id(), new_id()
    ctx.bet(STAKE, round_id=round_id)
    with ctx.watch() as delta:
        first, _ = ctx.win(STAKE, tx=tx, round_id=round_id)
        delta.exchange, _ = ctx.win(STAKE, tx=tx, round_id=round_id)
    passed = first.ok and delta.exchange.ok and delta.moved(STAKE)
    return passed, f"both HTTP 200, balance +{STAKE} once", delta.actual


@case("idem_refund_twice", "idempotency", "The same refund sent twice credits once", IDEM_FIX)
def idem_refund_twice(ctx: Context) -> Result:
    _bet, bet_tx = ctx.bet(STAKE)
    with ctx.watch() as delta:
        tx = new_id()
        first, _ = ctx.refund(bet_tx, STAKE, tx=tx)
        delta.exchange, _ = ctx.refund(bet_tx, STAKE, tx=tx)
    passed = first.ok and delta.exchange.ok and delta.moved(STAKE)
    return passed, f"both HTTP 200, balance +{STAKE} once", delta.actual


@case(
    "idem_two_refunds_one_bet",
    "idempotency",
    "Two refunds (different ids) of one bet credit it once",
    "Credit a bet back at most once whatever the refund's own id (unique per refunded bet); answer the second 200.",
)
def idem_two_refunds_one_bet(ctx: Context) -> Result:
    _bet, bet_tx = ctx.bet(STAKE)
    with ctx.watch() as delta:
        first, _ = ctx.refund(bet_tx, STAKE)
        delta.exchange, _ = ctx.refund(bet_tx, STAKE)
    passed = first.ok and delta.exchange.ok and delta.moved(STAKE)
    return passed, f"both HTTP 200, balance +{STAKE} once", delta.actual


@case(
    "idem_win_same_answer",
    "idempotency",
    "A repeated win answers the same balance and id",
    "Store the first answer per transaction id and return it unchanged for a repeat.",
)
def idem_win_same_answer(ctx: Context) -> Result:
    round_id, tx = new_id(), new_id()
    ctx.bet(STAKE, round_id=round_id)
    first, _ = ctx.win(STAKE, tx=tx, round_id=round_id)
    second, _ = ctx.win(STAKE, tx=tx, round_id=round_id)
    same = first.ok and second.ok and first.response_body == second.response_body
    return same, first.response_body[:200], second.response_body[:200] if second.ok else show(second)
