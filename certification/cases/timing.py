"""Timing cases: every kind of call is answered within the time budget."""

from __future__ import annotations

from .base import STAKE, Context, Result, case, new_id


def timing(ctx: Context, action: str) -> Result:
    """Two calls of ``action`` (a bet, win or refund within its own round); the slowest within the budget."""
    ms: list[int] = []
    for _ in range(2):
        if action == "balance":
            ms.append(ctx.balance_call().ms)
            continue
        round_id = new_id()
        bet, bet_tx = ctx.bet(STAKE, round_id=round_id)
        if action == "bet":
            ms.append(bet.ms)
            ctx.refund(bet_tx, STAKE, round_id=round_id)
        elif action == "win":
            win, _ = ctx.win(STAKE, round_id=round_id)
            ms.append(win.ms)
        else:
            refund, _ = ctx.refund(bet_tx, STAKE, round_id=round_id)
            ms.append(refund.ms)
    budget = int(ctx.budget_seconds * 1000)
    return max(ms) <= budget, f"every {action} within {budget} ms", f"slowest {max(ms)} ms ({ms})"


for _action in ("balance", "bet", "win", "refund"):
    case(
        f"timing_{_action}",
        "timing",
        f"{_action.capitalize()} answers within the time budget",
        f"Answer {_action} within the 5 s budget (we decline a bet at 5 s): index your lookups, no remote calls "
        "inside the wallet lock.",
    )(lambda ctx, _a=_action: timing(ctx, _a))
