"""Celery tasks: take ids, call the delivery services; safe to run twice."""

from celery import shared_task
from celery.signals import worker_shutting_down

from . import calllog, delivery
from .delivery import pumping


@worker_shutting_down.connect
def _stop_pumps(**_kwargs: object) -> None:
    """A warm shutdown (SIGTERM, Ctrl-C): pumps stop claiming and hand back their flags (pumping.STOPPING)."""
    pumping.STOPPING.set()


@shared_task(name="wallet.deliver_transaction", ignore_result=True, acks_late=True)
def deliver_transaction(tx_id: str) -> str:
    return delivery.deliver(tx_id)


@shared_task(name="wallet.deliver_partner", ignore_result=True, acks_late=True)
def deliver_partner(partner_id: str, token: str) -> dict:
    return dict(delivery.pump(partner_id, token))


@shared_task(name="wallet.sweep_deliveries", ignore_result=True)
def sweep_deliveries() -> dict:
    return delivery.sweep()


@shared_task(name="wallet.purge_call_log", ignore_result=True)
def purge_call_log() -> int:
    return calllog.purge()


@shared_task(name="wallet.maintain_ledger_partitions", ignore_result=True)
def maintain_ledger_partitions() -> dict:
    from . import partitions

    report = partitions.maintain()
    return {"created": report.created, "dropped": report.dropped, "attempts_removed": report.attempts_removed}


@shared_task(name="wallet.fold_metric_tallies", ignore_result=True)
def fold_metric_tallies() -> int:
    from . import tallies

    return tallies.fold()
