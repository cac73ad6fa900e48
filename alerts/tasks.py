from celery import shared_task

from alerts import services


@shared_task(name="alerts.evaluate", ignore_result=True)
def evaluate(partner_id: str | None = None) -> dict:
    return services.evaluate(partner_id=partner_id)


@shared_task(name="alerts.send_notification", ignore_result=True)
def send_notification(notification_id: str) -> str:
    """One email or one webhook call (alerts.services.notification_send): sent at most once, never retried."""
    return services.notification_send(notification_id=notification_id)
