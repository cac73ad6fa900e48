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
@signals.after_setup_task_logger.connect
def _worker_logging(logger=None, **_kwargs):
    """Celery's worker replaces the root logger's handlers (``worker_hijack_root_logger``) with its own, which lack
    the hub's redacting filter (``core.logging``): each of them gets it back, and Sentry's event handler (when
    error tracking is on) goes back first, where it sees a record before the filter drops its traceback."""
    from config import sentry
    from core.logging import RedactSecretsFilter

    for handler in getattr(logger, "handlers", ()):
        if handler.__class__.__module__.startswith("sentry_sdk"):
            continue
        if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
            handler.addFilter(RedactSecretsFilter())
    sentry.attach_log_handler()
