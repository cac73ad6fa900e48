from celery import shared_task

from alerts import services


@shared_task(name="alerts.evaluate", ignore_result=True)
def evaluate(partner_id: str | None = None) -> dict:
    return services.evaluate(partner_id=partner_id)
