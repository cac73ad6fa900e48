"""Celery tasks: take ids, call the delivery services; safe to run twice."""

from celery import shared_task

from . import delivery


@shared_task(name="wallet.deliver_transaction", ignore_result=True, acks_late=True)
def deliver_transaction(tx_id: str) -> str:
    return delivery.deliver(tx_id)


@shared_task(name="wallet.deliver_partner", ignore_result=True, acks_late=True)
def deliver_partner(partner_id: str, token: str) -> dict:
    return dict(delivery.pump(partner_id, token))


@shared_task(name="wallet.sweep_deliveries", ignore_result=True)
def sweep_deliveries() -> dict:
    return delivery.sweep()


@shared_task(name="wallet.maintain_ledger_partitions", ignore_result=True)
def maintain_ledger_partitions() -> dict:
    from . import partitions

    report = partitions.maintain()
    return {"created": report.created, "dropped": report.dropped, "attempts_removed": report.attempts_removed}
