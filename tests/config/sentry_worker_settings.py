"""Settings of the real worker in tests/config/test_sentry.py: the development settings and the failing task."""

from config.settings.dev import *  # noqa: F403

CELERY_IMPORTS = ["tests.config.sentry_tasks"]
