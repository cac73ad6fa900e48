"""Win cases: a win credits its amount once (a lost round's win of 0 too) and answers per the contract."""

from __future__ import annotations

from decimal import Decimal

from .base import IGSP, PUBLIC, STAKE, Context, Result, case, new_id, show, win_round


@case("win_credits", "win", "A win credits its amount once", "Credit exactly the win amount and answer 200.")
def win_credits(ctx: Context) -> Result:
    delta = win_round(ctx, STAKE)
    return delta.exchange.ok and delta.moved(STAKE), f"HTTP 200, balance +{STAKE}", delta.actual


@case(
    "win_shape",
    "win",
    "Win answer matches the contract",
    "Answer the contract's win response: balance and your own transaction id.",
)
def win_shape(ctx: Context) -> Result:
    exchange = win_round(ctx, STAKE).exchange
    problems = exchange.shape_errors if exchange.ok else [show(exchange)]
    return not problems, "a win response per the contract", "; ".join(problems) or "conforms"


@case(
    "win_zero",
    "win",
    "A round lost (win of 0) is accepted",
    "Accept a win of amount 0: it closes a lost round; answer 200 with the unchanged balance.",
)
def win_zero(ctx: Context) -> Result:
    round_id = new_id()
    _bet, bet_tx = ctx.bet(STAKE, round_id=round_id)
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.win(Decimal(0), round_id=round_id)
    ctx.refund(bet_tx, STAKE, round_id=round_id)
    return delta.exchange.ok and delta.moved(), "HTTP 200, balance unchanged", delta.actual


@case(
    "win_jackpot",
    "win",
    "A jackpot win (type jackpot) credits",
    "Accept every win type of the contract (win, jackpot, freespin, tournament, prize).",
    (IGSP,),
)
def win_jackpot(ctx: Context) -> Result:
    delta = win_round(ctx, STAKE, kind="jackpot")
    return delta.exchange.ok and delta.moved(STAKE), f"HTTP 200, balance +{STAKE}", delta.actual


@case(
    "win_partner_tx_id",
    "win",
    "Win answer carries the partner's own transaction id",
    "Return your own id for the win (txID).",
    (PUBLIC,),
)
def win_partner_tx_id(ctx: Context) -> Result:
    exchange = win_round(ctx, STAKE).exchange
    partner_tx = ctx.driver.partner_tx_of(exchange)
    return bool(exchange.ok and partner_tx), "a non-empty txID", partner_tx or show(exchange)
