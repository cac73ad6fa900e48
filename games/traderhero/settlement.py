"""TraderHero settlement through the wallet: play a due round out and pay it (a zero win on a loss).

The round's outcome (``games/traderhero/services.py``) and its win (``wallet/services.py``) are written in one
database transaction, so settling twice pays once. Celery runs ``jackpot_settle_many`` for the rounds a web
process opened together (``games.services.SETTLE_TASKS``) and ``jackpot_settle_due`` as the periodic sweep (``games/tasks.py``); a round that plays out in its bet's own
transaction is paid by ``settle_and_pay`` from ``games/services.py``.
"""

from __future__ import annotations

from django.db import transaction

from core.errors import ApplicationError
from wallet import currency as money
from wallet import services as wallet
from wallet.models import Round

from .. import selectors as sel
from ..models import JackpotRound, JackpotRoundStatus
from . import services as game_services


def jackpot_settle(*, bet_id, force: bool = False) -> bool:
    """Settle a due round: reveal the seed, compute the outcome, pay through the wallet (zero win on a loss).

    The round's settlement and its win are one database transaction; running it twice pays once."""
    with transaction.atomic():
        jr = JackpotRound.objects.select_for_update().filter(pk=bet_id, status=JackpotRoundStatus.OPEN).first()
        if jr is None:
            return False
        rnd = Round.objects.select_related("session", "session__game").get(pk=jr.round_id)
        settle_and_pay(jr, rnd, force=force)
    return True


def settle_and_pay(jr: JackpotRound, rnd: Round, *, force: bool) -> JackpotRound:
    """Play a round the caller holds and pay it through the wallet (a zero win on a loss), in the caller's
    transaction."""
    from freerounds import services as free_rounds

    jr = game_services.jackpot_round_play(jr, places=money.precision(jr.currency), force=force)
    if jr.payout is None:
        raise ValueError("a played jackpot round has its payout")
    tx_type = "free" if rnd.free_rounds_id else "jackpot" if jr.tier == "jackpot" else "regular"
    wallet.win_record(round=rnd, amount=jr.payout, tx_type=tx_type, free_rounds_id=rnd.free_rounds_id)
    free_rounds.free_round_settled(round=rnd, payout=jr.payout)
    return jr


def jackpot_settle_many(*, bet_ids: list[str]) -> int:
    """Settle each round (its own transaction, as ``jackpot_settle``); the ones already settled are skipped, and
    one not due yet (a node's clock behind the publisher's) is left to the periodic sweep."""
    settled = 0
    for bet_id in bet_ids:
        try:
            settled += jackpot_settle(bet_id=bet_id)
        except ApplicationError as exc:
            if exc.code != "round_not_due":
                raise
    return settled


def jackpot_settle_due(*, limit: int = 500) -> int:
    count = 0
    for bet_id in sel.jackpot_rounds_due().values_list("pk", flat=True)[:limit]:
        count += jackpot_settle(bet_id=bet_id)
    return count
