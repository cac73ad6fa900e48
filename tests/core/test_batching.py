"""``core.batching``: what a bet hands off (settle tasks, call-log rows) leaves in batches, off the request."""

from __future__ import annotations

import os
import threading
import time

import pytest

from core.batching import Batcher


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.005)
    return predicate()


def test_items_added_together_from_many_threads_leave_in_one_batch_without_anyone_draining():
    batches: list[list[int]] = []
    batcher = Batcher("t", batches.append, max_delay=0.2)
    threads = [threading.Thread(target=batcher.add, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert batches == []  # gathered, not sent one by one on the callers' threads
    assert _wait(lambda: len(batches) == 1)
    assert sorted(batches[0]) == list(range(20))
    batcher.add(99)  # a later item: the next batch
    assert _wait(lambda: len(batches) == 2)
    assert batches[1] == [99]


def test_a_full_batch_leaves_before_the_delay():
    batches: list[list[int]] = []
    batcher = Batcher("t", batches.append, max_delay=30, max_items=5)
    for i in range(5):
        batcher.add(i)
    assert _wait(lambda: batches == [[0, 1, 2, 3, 4]], timeout=3)


def test_a_failing_batch_is_logged_and_the_next_one_still_goes(caplog):
    seen: list[list[str]] = []

    def flush(items):
        seen.append(items)
        if "bad" in items:
            raise RuntimeError("broker down")

    batcher = Batcher("t", flush, max_delay=0.02)
    batcher.add("bad")
    assert _wait(lambda: len(seen) == 1)
    batcher.add("good")
    assert _wait(lambda: len(seen) == 2)
    assert seen[1] == ["good"]
    assert "batch t of 1 items failed" in caplog.text


def test_drain_flushes_what_waits_on_the_callers_thread():
    batches: list[list[int]] = []
    batcher = Batcher("t", batches.append, max_delay=30)
    batcher.add(1)
    batcher.add(2)
    batcher.drain()
    assert batches == [[1, 2]]


def test_no_delay_runs_each_item_at_once_outside_a_request():
    batches: list[list[int]] = []
    Batcher("t", batches.append, max_delay=0).add(7)
    assert batches == [[7]]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_starts_its_own_batch_thread():
    """gunicorn and Celery fork their workers: the parent's thread does not exist in the child."""
    read, write = os.pipe()
    batcher = Batcher("t", lambda items: os.write(write, f"{os.getpid()}:{items}\n".encode()), max_delay=0.01)
    batcher.add(1)
    os.read(read, 100)  # the parent's batch thread is running
    pid = os.fork()
    if pid == 0:  # the child
        try:
            batcher.add(2)
            time.sleep(1)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    os.close(write)
    assert os.read(read, 100).decode() == f"{pid}:[2]\n"
