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
_open: set[threading.Thread] = set()  # live-server threads inside a request (its callbacks included)


def _is_live_server_thread(thread: threading.Thread) -> bool:
    # socketserver.ThreadingMixIn (Django's ThreadedWSGIServer) names each request's thread after its target; a
    # test client called on a test's own worker thread is not a live server's and is over when the call returns
    return "process_request_thread" in thread.name


def _started(**kwargs: Any) -> None:
    thread = threading.current_thread()
    if _is_live_server_thread(thread):
        with _lock:
            _open.add(thread)


def _finished(**kwargs: Any) -> None:
    with _lock:
        _open.discard(threading.current_thread())
        _lock.notify_all()


def in_flight() -> int:
    """Live-server requests still running; a thread that ended without closing its response is not one."""
    with _lock:
        _open.difference_update([t for t in _open if not t.is_alive()])
        return len(_open)


def wait_idle(timeout: float = 10.0) -> bool:
    """True once no request is in flight; False if one still is after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while in_flight():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        with _lock:
            _lock.wait(min(left, 0.05))  # a thread's end sends no signal: look again shortly
    return True


request_started.connect(_started, dispatch_uid="tests-live-requests-started")
request_finished.connect(_finished, dispatch_uid="tests-live-requests-finished")
