"""Celery tasks for the games: settle TraderHero rounds, settle markets through the wallet."""

from celery import shared_task

from .markets import settlement as market_settlement
from .traderhero import settlement as jackpot_settlement


@shared_task(name="games.settle_jackpot_round", ignore_result=True, acks_late=True)
def settle_jackpot_round(bet_id: str) -> bool:
    return jackpot_settlement.jackpot_settle(bet_id=bet_id)


@shared_task(name="games.settle_jackpot_rounds", ignore_result=True, acks_late=True)
def settle_jackpot_rounds(bet_ids: list[str]) -> int:
    """The rounds a web process opened within HUB_BATCH_SECONDS of each other (``games.services.SETTLE_TASKS``)."""
    return jackpot_settlement.jackpot_settle_many(bet_ids=bet_ids)


@shared_task(name="games.settle_due_jackpot_rounds", ignore_result=True)
def settle_due_jackpot_rounds() -> int:
    return jackpot_settlement.jackpot_settle_due()


@shared_task(name="games.settle_market", ignore_result=True, acks_late=True)
def settle_market(market_id: str, action: str, outcome: str | None = None, actor: str = "") -> int:
    return market_settlement.market_settle(market_id=market_id, action=action, outcome=outcome, actor=actor)
