"""Requests a live server is still answering, so a test's teardown does not empty the tables under them.

A live server thread goes on after the client has its answer: ``core.after_response`` callbacks (the delivery
log's row of a wallet call, a round's settle task) run once the response is closed. A test that ends on that
answer would have its teardown flush the tables while such a callback writes a row that points at a partner the
flush is deleting (a foreign-key error at the flush's commit, the whole test an error). ``wait_idle()`` waits
until every request the live server started has finished, callbacks included; ``tests/conftest.py`` calls it
before each test's teardown.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.core.signals import request_finished, request_started

import core.after_response  # noqa: F401 - its receivers first, so ours sees a request end after its callbacks

_lock = threading.Condition()
_in_flight = 0
_local = threading.local()


def _started(**kwargs: Any) -> None:
    global _in_flight
    if threading.current_thread() is threading.main_thread():
        return  # the test client on the test's own thread: its request is over when the call returns
    with _lock:
        if not getattr(_local, "open", False):  # a request on this thread that never closed is still counted
            _in_flight += 1
        _local.open = True


def _finished(**kwargs: Any) -> None:
    global _in_flight
    with _lock:
        if getattr(_local, "open", False):
            _in_flight -= 1
            _local.open = False
            _lock.notify_all()


def in_flight() -> int:
    return _in_flight


def wait_idle(timeout: float = 10.0) -> bool:
    """True once no request is in flight; False if one still is after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    with _lock:
        while _in_flight:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _lock.wait(left)
    return True


request_started.connect(_started, dispatch_uid="tests-live-requests-started")
request_finished.connect(_finished, dispatch_uid="tests-live-requests-finished")
