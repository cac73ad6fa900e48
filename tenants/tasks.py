from celery import shared_task

from tenants import services


@shared_task(name="tenants.retire_expired_credentials", ignore_result=True)
def retire_expired_credentials() -> int:
    return services.credentials_retire_expired()
