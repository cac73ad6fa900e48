from celery import shared_task

from integration_hub import replay


@shared_task(name="integration_hub.purge_seen_signatures", ignore_result=True)
def purge_seen_signatures() -> int:
    """The database replay store keeps each entry for twice the clock-skew window, then it goes."""
    return replay.seen_signatures_purge()
