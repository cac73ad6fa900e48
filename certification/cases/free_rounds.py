"""Free-rounds cases: free bets and free wins move no real money; the bonus withdrawal and free-spin wins do."""

from __future__ import annotations

import uuid
from decimal import Decimal

from .base import IGSP, PUBLIC, STAKE, Context, Result, case, new_id

BONUS = Decimal("2.50")


def campaign_id() -> str:
    """A new free-rounds campaign id (frID)."""
    return "cert-fr-" + uuid.uuid4().hex[:8]


@case(
    "free_bet_no_debit",
    "free_rounds",
    "A free-round bet moves no money",
    "A bet with type free (IGSP freespin) is paid by us: record it, do not debit the real balance.",
)
def free_bet_no_debit(ctx: Context) -> Result:
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.bet(STAKE, free=True, fr_id=campaign_id())
    if delta.exchange.ok and delta.after is not None and delta.before is not None and delta.after < delta.before:
        ctx.restore()
    return delta.exchange.ok and delta.moved(), "HTTP 200, balance unchanged", delta.actual


@case(
    "free_win_no_credit",
    "free_rounds",
    "A free-round win moves no money",
    "A win with type free is counted "
    "towards the bonus; the real balance moves only with the final regular win carrying frID.",
    (PUBLIC,),
)
def free_win_no_credit(ctx: Context) -> Result:
    fr_id, round_id = campaign_id(), new_id()
    ctx.bet(STAKE, free=True, fr_id=fr_id, round_id=round_id)
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.win(STAKE, free=True, fr_id=fr_id, round_id=round_id)
    if delta.exchange.ok and delta.after is not None and delta.before is not None and delta.after > delta.before:
        ctx.restore()
    return delta.exchange.ok and delta.moved(), "HTTP 200, balance unchanged", delta.actual


@case(
    "free_bonus_withdrawal",
    "free_rounds",
    "The bonus withdrawal (regular win with frID) credits",
    "Credit a type regular win that carries frID: it pays the free rounds' total.",
    (PUBLIC,),
)
def free_bonus_withdrawal(ctx: Context) -> Result:
    fr_id = campaign_id()
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.win(BONUS, fr_id=fr_id)
    if delta.exchange.ok:
        ctx.bet(BONUS)  # take the bonus back
    return delta.exchange.ok and delta.moved(BONUS), "HTTP 200, balance +2.50", delta.actual


@case(
    "free_spin_win",
    "free_rounds",
    "A free-spin win (type freespin) credits",
    "Accept win type freespin and credit it: free-spin winnings are real money in IGSP.",
    (IGSP,),
)
def free_spin_win(ctx: Context) -> Result:
    round_id = new_id()
    ctx.bet(STAKE, free=True, round_id=round_id)
    with ctx.watch() as delta:
        delta.exchange, _ = ctx.win(STAKE, free=True, round_id=round_id)
    if delta.exchange.ok:
        ctx.bet(STAKE)
    return delta.exchange.ok and delta.moved(STAKE), f"HTTP 200, balance +{STAKE}", delta.actual
