"""Work a request hands off in batches: ``Batcher(name, flush, max_delay=…)``, then ``batcher.add(item)``.

A bet produced two pieces of work that need not happen on the request's thread nor one at a time: the
settle task of a timed TraderHero round (a Celery publish: kombu building a message and a broker round
trip, a sixth of a bet's CPU) and the delivery log's row of the wallet call (an INSERT). ``add`` only
appends to a list; one daemon thread per process hands what gathered to ``flush(items)`` at most
``max_delay`` seconds later (or as soon as ``max_items`` are waiting), so a hundred bets cost one publish
and one multi-row INSERT.

Only for work with a safety net, because a process that dies loses what it had not flushed yet (at most
``max_delay`` of it): the periodic ``games.settle_due_jackpot_rounds`` settles any round whose task never
went out; a call-log row is a log, not the ledger. ``flush`` failures are logged and the batch dropped.
``max_delay`` 0 (the test settings) runs ``flush([item])`` on the caller's thread once the response is
written (``core.after_response``; at once outside a request).

Fork-safe (a gunicorn or Celery child starts its own thread on its first ``add``); ``drain()`` flushes
what is waiting (process exit calls it; tests may).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable

from .after_response import after_response

logger = logging.getLogger(__name__)

_ALL: weakref.WeakSet[Batcher] = weakref.WeakSet()


class Batcher[T]:
    def __init__(
        self,
        name: str,
        flush: Callable[[list[T]], None],
        *,
        max_delay: Callable[[], float] | float,
        max_items: int = 500,
    ):
        self.name = name
        self._flush = flush
        self._max_delay = max_delay
        self._max_items = max_items
        self._items: list[T] = []
        self._cond = threading.Condition()
        self.owner_pid = 0
        self._thread: threading.Thread | None = None
        self._busy = False
        _ALL.add(self)

    def delay(self) -> float:
        return float(self._max_delay() if callable(self._max_delay) else self._max_delay)

    def add(self, item: T) -> None:
        if self.delay() <= 0:
            after_response(lambda: self._run([item]))
            return
        with self._cond:
            if self.owner_pid != os.getpid():  # first use in this process (or a fork of the one that started it)
                self._items, self._busy, self.owner_pid = [], False, os.getpid()
                self._thread = threading.Thread(target=self._loop, name=f"batcher-{self.name}", daemon=True)
                self._thread.start()
            self._items.append(item)
            if len(self._items) == 1 or len(self._items) >= self._max_items:
                self._cond.notify()

    def drain(self, timeout: float = 5.0) -> None:
        """Flush what is waiting now, on this thread, and wait for a batch the daemon thread is flushing."""
        deadline = time.monotonic() + timeout
        with self._cond:
            items, self._items = self._items, []
        if items:
            self._run(items)
        with self._cond:
            while self._busy and time.monotonic() < deadline:
                self._cond.wait(0.01)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._items:
                    self._cond.wait()
                first = time.monotonic()
                while len(self._items) < self._max_items:
                    left = self.delay() - (time.monotonic() - first)
                    if left <= 0:
                        break
                    self._cond.wait(left)
                items, self._items = self._items, []
                if not items:  # drain() took them meanwhile
                    continue
                self._busy = True
            try:
                self._run(items)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _run(self, items: list[T]) -> None:
        try:
            self._flush(items)
        except Exception:
            logger.exception("batch %s of %d items failed", self.name, len(items))
            if threading.current_thread() is self._thread:
                from django.db import connection

                connection.close()  # the daemon thread's own connection may be the cause: a new one next batch


@atexit.register
def _drain_all() -> None:
    for batcher in list(_ALL):
        if batcher.owner_pid == os.getpid():
            batcher.drain(timeout=2.0)
