from celery import shared_task

from certification import services


@shared_task(name="certification.execute_run", ignore_result=True)
def execute_run(run_id: str) -> str:
    return services.run_execute(run_id=run_id).status
