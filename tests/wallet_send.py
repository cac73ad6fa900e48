"""Stand in for the wallet's HTTP in a test: ``wallet.transport.send`` (a bet's call, a single delivery) and
``wallet.transport.send_soon`` (the delivery pump's calls, from the event loop) both through one function."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from wallet import transport

_threads = ThreadPoolExecutor(max_workers=64, thread_name_prefix="test-wallet-send")


def patch_send(monkeypatch, fn: Callable) -> None:
    """``fn(method, url, *, content, headers, params, timeout)`` answers every wallet call, the pump's too (on a
    thread of its own each, so calls still overlap as from the loop)."""
    monkeypatch.setattr(transport, "send", fn)

    def soon(method, url, *, content=None, headers=None, timeout=None, then) -> Future:
        return _threads.submit(lambda: then(*fn(method, url, content=content, headers=headers, timeout=timeout)))

    monkeypatch.setattr(transport, "send_soon", soon)


def observe_send(monkeypatch, started: Callable, ended: Callable | None = None) -> None:
    """The real calls, each seen as it starts (``started(method, url, content=, headers=, params=)``) and, with
    ``ended``, once it is over (``ended()``): the bet's and the pump's alike."""
    real_send, real_soon = transport.send, transport.send_soon

    def send(method, url, *, content=None, headers=None, params=None, timeout=None):
        started(method, url, content=content, headers=headers, params=params)
        try:
            return real_send(method, url, content=content, headers=headers, params=params, timeout=timeout)
        finally:
            if ended:
                ended()

    def soon(method, url, *, content=None, headers=None, timeout=None, then) -> Future:
        started(method, url, content=content, headers=headers, params=None)
        future = real_soon(method, url, content=content, headers=headers, timeout=timeout, then=then)
        if ended:
            future.add_done_callback(lambda _: ended())
        return future

    monkeypatch.setattr(transport, "send", send)
    monkeypatch.setattr(transport, "send_soon", soon)
