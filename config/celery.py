"""The Celery app: configured from Django settings (CELERY_* names)."""

import os

from celery import Celery, signals
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("integration_hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def route(name, args, kwargs, options, task=None, **kw):
    """The queue of a task: certification runs on their own (HUB_CERTIFICATION_QUEUE), the rest on the default."""
    if name.startswith("certification."):
        return {"queue": settings.HUB_CERTIFICATION_QUEUE}
    return None


@signals.worker_init.connect
def _error_tracking(**_kwargs):
    """Sentry in the worker (idempotent: Django's set-up in the worker has usually started it already)."""
    from config import sentry

    sentry.init_from_settings()


@signals.after_setup_logger.connect
def _error_tracking_logs(**_kwargs):
    """The worker's logging replaced the root logger's handlers: Sentry's event handler goes back first."""
    from config import sentry

    sentry.attach_log_handler()
