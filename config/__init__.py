"""Project wiring: settings, URLs, the Celery app (loaded with Django), WSGI/ASGI, gunicorn, health views."""

from .celery import app as celery_app

__all__ = ("celery_app",)
