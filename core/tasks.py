"""Publishing a Celery task by its registered name, so domain code never imports a ``tasks`` module.

``tasks`` modules are the top layer (they import the services they run); services that must hand work
to a worker publish through :func:`publish` instead of importing the task, which keeps the import graph
acyclic. Each app's ``AppConfig.ready()`` imports its own ``tasks`` module, so the name is registered in
every process (web, worker, beat, commands).
"""

from __future__ import annotations

from typing import Any

from celery import Task, current_app


def task(name: str) -> Task:
    """The registered task object (the same one ``<app>.tasks.<name>`` is)."""
    return current_app.tasks[name]


def publish(name: str, *args: Any, countdown: float | None = None) -> None:
    """Send ``name(*args)`` to the broker (raises the broker's error; callers that must not fail catch it)."""
    if countdown is None:
        task(name).delay(*args)
    else:
        task(name).apply_async(args=list(args), countdown=countdown)
