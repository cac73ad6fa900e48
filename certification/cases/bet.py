"""Bet cases: a bet debits its amount once and answers per the contract, with the balance after it."""

from __future__ import annotations

from .base import STAKE, Context, Result, bet_and_refund, case, show


@case("bet_debits", "bet", "A bet debits its amount once", "Debit exactly the bet amount and answer 200.")
def bet_debits(ctx: Context) -> Result:
    delta = bet_and_refund(ctx)
    return delta.exchange.ok and delta.moved(-STAKE), f"HTTP 200, balance −{STAKE}", delta.actual


@case(
    "bet_shape",
    "bet",
    "Bet answer matches the contract",
    "Answer the contract's bet response: balance and your own transaction id.",
)
def bet_shape(ctx: Context) -> Result:
    exchange = bet_and_refund(ctx).exchange
    problems = exchange.shape_errors if exchange.ok else [show(exchange)]
    return not problems, "a bet response per the contract", "; ".join(problems) or "conforms"


@case(
    "bet_partner_tx_id",
    "bet",
    "Bet answer carries the partner's own transaction id",
    "Return your own id for the transaction (IGSP transaction_id / Public API txID); it is how support traces a bet.",
)
def bet_partner_tx_id(ctx: Context) -> Result:
    exchange = bet_and_refund(ctx).exchange
    partner_tx = ctx.driver.partner_tx_of(exchange)
    return bool(exchange.ok and partner_tx), "a non-empty transaction id", partner_tx or show(exchange)


@case(
    "bet_balance_in_answer",
    "bet",
    "The balance in the bet answer is the balance after the bet",
    "Answer the balance after the debit, read in the same database transaction.",
)
def bet_balance_in_answer(ctx: Context) -> Result:
    delta = bet_and_refund(ctx)
    answered = ctx.driver.balance_of(delta.exchange)
    passed = delta.exchange.ok and answered is not None and answered == delta.after
    return passed, f"balance in the answer = {delta.after}", f"{answered} ({show(delta.exchange)})"
