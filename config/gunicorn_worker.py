"""The web process's gunicorn worker: gthread, serving a kept-alive connection's next request on the same thread.

gunicorn's ``gthread`` worker hands every request of a kept-alive connection through its main thread: the
response done, the connection goes back to the main thread's poller; when the next request arrives, the main
thread submits it to the pool again, whose thread wakes the main thread once more when it is done. On the bet
routes that round trip between threads (a future, a done-callback, a pipe write to wake the poller, a register
and unregister of the socket) cost about a fifth of the worker's CPU, more than Django's own work for the
request.

:class:`KeepAliveThreadWorker` lets the thread that answered a request wait a moment
(``HUB_WEB_KEEPALIVE_LINGER_MS``, default 2 ms) for the connection's next request and serve it at once, up to
``LINGER_MAX_REQUESTS`` in a row and only while no other connection's request waits for a thread (those are
served in turn, as gthread does); a connection that stays quiet longer goes back to the poller as before, so an
idle client holds a thread for at most the linger. Everything else is gunicorn's (parsing, keep-alive limits,
``max_requests``, graceful stop: a stopping worker serves no further request on the thread).
"""

from __future__ import annotations

import os
import select
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

LINGER_SECONDS = max(0.0, float(os.environ.get("HUB_WEB_KEEPALIVE_LINGER_MS", "2")) / 1000)
LINGER_MAX_REQUESTS = 100  # then the connection goes back to the poller: other connections get their turn


class KeepAliveThreadWorker(ThreadWorker):
    def handle(self, conn: Any) -> Any:
        keep = super().handle(conn)
        served = 1
        while (
            keep is True
            and self.alive
            and served < LINGER_MAX_REQUESTS
            and not self._others_waiting()
            and _next_request_soon(conn)
        ):
            keep = super().handle(conn)
            served += 1
        return keep

    def _others_waiting(self) -> bool:
        """Another connection's request waits for a thread (submitted to the pool, not started): this thread
        takes it in turn (FIFO, as gthread does) instead of serving its own connection again."""
        return self.tpool._work_queue.qsize() > 0  # noqa: SLF001 - ThreadPoolExecutor's queue of submitted work


def _next_request_soon(conn: Any) -> bool:
    """The connection's next request has begun to arrive (already read ahead, or readable within the linger).
    Readable may also mean the client closed it: the next ``handle`` then ends the connection as gunicorn does."""
    if conn.parser is not None and conn.parser.unreader.buf.getvalue():
        return True
    if LINGER_SECONDS <= 0:
        return False
    poller = select.poll()
    poller.register(conn.sock, select.POLLIN)
    return bool(poller.poll(LINGER_SECONDS * 1000))
