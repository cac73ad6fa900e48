"""Work that may wait until the player has the answer: ``after_response(fn)``.

Inside an HTTP request, ``fn`` runs when the server closes the response, i.e. after the body has been
written to the client (Django's ``request_finished``, sent from ``HttpResponse.close()``); outside a
request (Celery, commands, shell) it runs at once. Only for work that has a safety net if the process
dies in between (a periodic sweep does it later): e.g. publishing a TraderHero round's settle task,
which the periodic ``games.settle_due_jackpot_rounds`` also finds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

logger = logging.getLogger(__name__)

_local = threading.local()


def after_response(fn: Callable[[], None]) -> None:
    callbacks = getattr(_local, "callbacks", None)
    if callbacks is None:
        _run([fn])
    else:
        callbacks.append(fn)


def _run(callbacks: list[Callable[[], None]]) -> None:
    for fn in callbacks:
        try:
            fn()
        except Exception:
            logger.exception("after-response callback failed")


def _started(**kwargs: Any) -> None:
    leftover = getattr(_local, "callbacks", None)
    _local.callbacks = []
    if leftover:  # a previous request on this thread ended without closing its response
        _run(leftover)


def _finished(**kwargs: Any) -> None:
    callbacks = getattr(_local, "callbacks", None)
    _local.callbacks = None
    if callbacks:
        _run(callbacks)
        close_old_connections()  # as Django does at the end of a request, for what the callbacks opened


request_started.connect(_started, dispatch_uid="hub-after-response-started")
request_finished.connect(_finished, dispatch_uid="hub-after-response-finished")
