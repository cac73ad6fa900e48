"""Market settlement through the wallet: resolve / cancel / void and every position's payout.

The market's settlement and all its outbox rows (wins, zero wins, refunds) are
written in one database transaction; the delivery engine then sends them. A
market with thousands of positions is settled by a Celery task, never in a
request.
"""

from __future__ import annotations

from django.db import transaction

from core.tasks import publish
from wallet import services as wallet
from wallet.models import Round, Transaction, TxKind

from . import lifecycle

ACTIONS = ("resolve", "cancel", "void")


def market_settle(*, market_id, action: str, outcome: str | None = None, actor: str = "") -> int:
    """Settle a market and write every position's payout to the wallet outbox. Returns the positions paid."""
    if action not in ACTIONS:
        raise ValueError(f"unknown settlement action {action!r}")
    with transaction.atomic():
        if action == "resolve":
            # No outcome: market_resolve refuses "" as it refuses any unknown outcome.
            change = lifecycle.market_resolve(market_id=market_id, outcome=outcome or "", actor=actor)
        elif action == "cancel":
            change = lifecycle.market_cancel(market_id=market_id, actor=actor)
        else:
            change = lifecycle.market_void(market_id=market_id, actor=actor)
        rounds = Round.objects.select_related("session", "session__game").in_bulk([p.round_id for p in change.payouts])
        bets = {
            tx.round_id: tx
            for tx in Transaction.objects.select_related("session").filter(round_id__in=list(rounds), kind=TxKind.BET)
        }
        for payout in change.payouts:
            rnd = rounds[payout.round_id]
            if payout.kind == "refund":
                wallet.refund_record(bet_tx=bets[payout.round_id])
            else:  # win, or a zero win for a loss: every round is closed
                wallet.win_record(round=rnd, amount=payout.amount)
    return len(change.payouts)


def market_settle_async(*, market_id, action: str, outcome: str | None = None, actor: str = "") -> None:
    """Hand the settlement to a worker (after commit)."""
    transaction.on_commit(lambda: publish("games.settle_market", str(market_id), action, outcome, actor))
