"""The pooled outbound HTTP client (urllib3) the hub calls partners with: checked peers, bounded answers.

One keep-alive ``urllib3.PoolManager`` per process (thread-safe, re-created after a fork, so Celery's prefork
children do not share sockets), the caller's timeout for the whole call (connect + response, so a delivery never
outlives its lease, also for a body that trickles in), no retries, no redirects. urllib3 rather than httpx here:
the delivery pump sends from many threads at once, and httpcore's pool spends much of a request's CPU assigning
connections under that load (docs/performance.md); urllib3's per-host pool is a queue.

Every new connection of the pool resolves the host itself and connects only to an address
``core.net.outbound_address_allowed`` accepts (the peer is checked again after connect), keeping the host name
for SNI, Host and certificate checks: a partner URL whose name is re-pointed at 127.0.0.1, 10/8 or
169.254.169.254 after it was saved (DNS rebinding) is a failed call, never a request inside. Kept-alive
connections are not checked again (no cost per call). An answer is read up to
``HUB_WALLET_MAX_RESPONSE_BYTES`` (64 KiB); a larger or endless one is a failed call and its connection is closed.

The wallet's transport (``wallet/transport.py``) sends through ``send`` with the wallet timeout; the protocol
edges' clients call it there.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import urllib3
from aiohttp.abc import AbstractResolver, ResolveResult
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from core import net


@dataclass(frozen=True)
class HttpAnswer:
    """A partner's answer: its status code and body (named apart from Django's ``HttpResponse``)."""

    status_code: int
    content: bytes


POOL_MAXSIZE = 64  # kept-alive connections per partner host (the pump's cap is 32 by default)


class PeerRefused(NewConnectionError):
    """The partner host resolved (or connected) only to addresses the outbound policy refuses."""


_REFUSED = "Refused: the partner host is a private, loopback or internal address."
_REFUSED_ERROR = "connection error: refused, the partner host is a private or internal address"


if TYPE_CHECKING:  # a mixin of urllib3's connections: type-checked as one
    _Connection = HTTPConnection
else:
    _Connection = object


class _CheckedPeer(_Connection):
    """``_new_conn`` of urllib3's connections, connecting only to addresses the outbound policy allows."""

    def _new_conn(self) -> socket.socket:
        host = self._dns_host.strip("[]")
        try:
            infos = socket.getaddrinfo(host, self.port, urllib3_connection.allowed_gai_family(), socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise NameResolutionError(self.host, self, e) from e
        allowed = [str(info[4][0]) for info in infos if net.outbound_address_allowed(str(info[4][0]))]
        if not allowed:
            raise PeerRefused(self, _REFUSED)
        error: Exception | None = None
        for address in dict.fromkeys(allowed):  # in the resolver's order, each once
            try:
                sock = urllib3_connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as e:
                error = ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                )
                error.__cause__ = e
                continue
            except OSError as e:
                error = NewConnectionError(self, f"Failed to establish a new connection: {e}")
                continue
            if not net.outbound_address_allowed(sock.getpeername()[0]):  # the socket's real peer
                sock.close()
                error = PeerRefused(self, _REFUSED)
                continue
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        if error is None:  # `allowed` is never empty: every address failed
            raise OSError(f"no address to connect to for {self.host}")
        raise error


class CheckedHTTPConnection(_CheckedPeer, HTTPConnection):
    pass


class CheckedHTTPSConnection(_CheckedPeer, HTTPSConnection):
    pass


class _CheckedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = CheckedHTTPConnection


class _CheckedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = CheckedHTTPSConnection


class _PerProcess[T]:
    """One ``make()`` per process: made on first use, and again in a forked child (Celery's prefork children do not
    share the parent's sockets or threads)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: tuple[int, T] | None = None

    def get(self) -> T:
        pid = os.getpid()
        made = self._made
        if made is not None and made[0] == pid:
            return made[1]
        with self._lock:
            if self._made is None or self._made[0] != pid:
                self._made = (pid, self._make())
            return self._made[1]


def _new_pool() -> urllib3.PoolManager:
    manager = urllib3.PoolManager(
        num_pools=200,
        maxsize=POOL_MAXSIZE,
        block=False,
        retries=False,
        headers={"User-Agent": "integration-hub/1.0"},
    )
    manager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}
    return manager


_pool: _PerProcess[urllib3.PoolManager] = _PerProcess(_new_pool)


def http_client() -> urllib3.PoolManager:
    """The process-wide pool (keep-alive; one connection pool per partner host; peers checked on connect)."""
    return _pool.get()


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


def max_response_bytes() -> int:
    return settings.HUB_WALLET_MAX_RESPONSE_BYTES


def _read_bounded(raw: urllib3.BaseHTTPResponse, limit: int, deadline: float) -> bytes:
    """The body, read up to ``limit`` bytes and until ``deadline`` (each read waits at most the time left)."""
    declared = (raw.headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise _TooSlow
        # Only while the response still holds its connection: once the body is complete urllib3 hands it
        # back to the pool (another thread may be using it); its next request() sets its own timeout.
        sock = getattr(raw.connection, "sock", None)
        if sock is not None:
            sock.settimeout(left)
        chunk = raw.read1(limit + 1 - size)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _discard(raw: urllib3.BaseHTTPResponse) -> None:
    """Close a response's connection (never hand a half-read one back to the pool) and free its slot."""
    with contextlib.suppress(OSError, urllib3.exceptions.HTTPError):  # closing a broken socket
        raw.close()
    raw.release_conn()


def send(
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: dict | None = None,
    params: dict | None = None,
    timeout: float,
) -> tuple[HttpAnswer | None, str, int]:
    """One HTTP call: (response or None, redacted error text, duration ms). Never raises for network errors.

    The whole call (connect, headers, body) keeps to ``timeout`` seconds; the body is read up to
    HUB_WALLET_MAX_RESPONSE_BYTES, more is a failed call ("response too large")."""
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    seconds = timeout
    limit = max_response_bytes()
    started = time.perf_counter()
    raw = None

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        raw = http_client().request(
            method,
            url,
            body=content,
            headers=headers,
            redirect=False,
            retries=False,
            timeout=urllib3.Timeout(total=seconds),
            preload_content=False,
        )
        response = HttpAnswer(raw.status, _read_bounded(raw, limit, started + seconds))
        raw.release_conn()
        raw = None
        return response, "", elapsed()
    except _TooLarge:
        return None, f"response too large: more than {limit} bytes", elapsed()
    except _TooSlow:
        return None, f"timeout: the response took more than {seconds:g} s", elapsed()
    except PeerRefused:
        return None, _REFUSED_ERROR, elapsed()
    except NewConnectionError as exc:  # urllib3 makes it a TimeoutError, but nothing waited: refused, unreachable
        return None, f"connection error: {type(exc).__name__}", elapsed()
    except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
        return None, f"timeout: {type(exc).__name__}", elapsed()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return None, f"connection error: {type(exc).__name__}", elapsed()
    finally:
        if raw is not None:
            _discard(raw)


# ------------------------------------------------------------ event loop --
#
# The delivery pump keeps up to its partner's cap of calls in flight. On threads (one per call) each call costs
# the worker several times the CPU of the same call made from one event loop (threads contending for the GIL,
# urllib3's per-request machinery: docs/performance.md), so the pump sends from one asyncio loop per process (aiohttp, its C
# HTTP parser): :func:`send_soon`. The promises are the pooled client's: peers checked (every name resolved
# for each new connection by a resolver that keeps only allowed addresses; an IP literal checked as it is), the
# whole call within ``timeout``, the answer bounded, no redirects, no retries, no proxy from the environment.


class _CheckedResolver(AbstractResolver):
    """aiohttp's resolver interface: the host's addresses the outbound policy allows, resolved for each new
    connection (no cache, as the pooled client); none allowed is a refused call."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_UNSPEC) -> list[ResolveResult]:
        import asyncio

        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        except (socket.gaierror, UnicodeError) as e:
            raise OSError(f"name resolution failed: {type(e).__name__}") from e
        allowed = [info for info in infos if net.outbound_address_allowed(str(info[4][0]))]
        if not allowed:
            raise _Refused
        return [
            {
                "hostname": host,
                "host": str(info[4][0]),
                "port": port,
                "family": info[0],
                "proto": info[2],
                "flags": socket.AI_NUMERICHOST,
            }
            for info in dict.fromkeys(allowed)
        ]

    async def close(self) -> None:
        return None


class _Refused(OSError):
    """No address of the host is one the outbound policy allows."""


class _EventLoop:
    """One asyncio loop on a daemon thread with one aiohttp session (per process: re-created after a fork)."""

    def __init__(self) -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), name="hub-http-loop", daemon=True)
        self.thread.start()
        started.wait()

    def _run(self, started: threading.Event) -> None:
        import asyncio

        import aiohttp

        asyncio.set_event_loop(self.loop)

        async def open_session() -> aiohttp.ClientSession:
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=POOL_MAXSIZE, resolver=_CheckedResolver(), use_dns_cache=False
            )
            return aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": "integration-hub/1.0"},
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
            )

        self.session = self.loop.run_until_complete(open_session())
        started.set()
        self.loop.run_forever()

    async def send(
        self, method: str, url: str, content: bytes | None, headers: dict | None, timeout: float
    ) -> tuple[HttpAnswer | None, str, int]:
        import asyncio

        import aiohttp
        from yarl import URL

        limit = max_response_bytes()
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            try:  # aiohttp connects to an IP literal without asking the resolver: it is checked here
                literal = net.ip_literal((URL(url).host or "").strip("[]"))
            except net.DestinationRefused:
                raise _Refused from None
            if literal is not None and not net.outbound_address_allowed(literal):
                raise _Refused
            async with asyncio.timeout(timeout):
                async with self.session.request(
                    method, url, data=content, headers=headers, allow_redirects=False
                ) as raw:
                    declared = (raw.headers.get("Content-Length") or "").strip()
                    if declared.isdigit() and int(declared) > limit:
                        raise _TooLarge
                    chunks: list[bytes] = []
                    size = 0
                    while chunk := await raw.content.read(limit + 1 - size):
                        size += len(chunk)
                        if size > limit:
                            raise _TooLarge
                        chunks.append(chunk)
                    return HttpAnswer(raw.status, b"".join(chunks)), "", elapsed()
        except _TooLarge:
            return None, f"response too large: more than {limit} bytes", elapsed()
        except TimeoutError:
            return None, f"timeout: the response took more than {timeout:g} s", elapsed()
        except _Refused:
            return None, _REFUSED_ERROR, elapsed()
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, _Refused):
                return None, _REFUSED_ERROR, elapsed()
            return None, f"connection error: {type(exc).__name__}", elapsed()
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return None, f"connection error: {type(exc).__name__}", elapsed()


_loop: _PerProcess[_EventLoop] = _PerProcess(_EventLoop)


def send_soon[T](
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: dict | None = None,
    timeout: float,
    then: Callable[[HttpAnswer | None, str, int], T],
) -> Future[T]:
    """``send``, from this process's event loop: at once a future of ``then(response, error, duration_ms)``, run
    on the loop's thread once the call ends (it must not touch the database). Never raises for network errors;
    an exception of ``then`` is the future's."""
    import asyncio

    worker = _loop.get()

    async def call() -> T:
        return then(*await worker.send(method, url, content, headers, timeout))

    return asyncio.run_coroutine_threadsafe(call(), worker.loop)
