from celery import shared_task

from contractwatch import services


@shared_task(name="contractwatch.evaluate", ignore_result=True)
def evaluate() -> dict:
    """Open and resolve contract incidents, purge old minutes (contractwatch.services.evaluate)."""
    return services.evaluate()
