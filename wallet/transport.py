"""The partner-wallet transport interface (balance, bet, win, refund).

Two implementations live at the protocol edges:
``integration_hub.igsp.client.IgspHooksTransport`` and
``integration_hub.public_api.client.AdapterTransport``. They never raise for a
partner's failure: they return a ``WalletResult``.

HTTP: one pooled keep-alive ``urllib3.PoolManager`` per process (thread-safe,
re-created after a fork, so Celery's prefork children do not share sockets),
a 5 s timeout for the whole call (connect + response, so a delivery never
outlives its lease, also for a body that trickles in), no retries, no
redirects. urllib3 rather than httpx here: the delivery pump sends from many
threads at once, and httpcore's pool spent ~4 ms CPU per request assigning
connections under that load (``make bench``); urllib3's per-host pool is a queue.

Every new connection of the pool resolves the partner's host itself and connects
only to an address ``core.net.outbound_address_allowed`` accepts (the
peer is checked again after connect), keeping the host name for SNI, Host and
certificate checks: a hooks URL whose name is re-pointed at 127.0.0.1, 10/8 or
169.254.169.254 after it was saved (DNS rebinding) is a failed call, never a
request inside. Kept-alive connections are not checked again (no cost per call).
A partner's answer is read up to ``HUB_WALLET_MAX_RESPONSE_BYTES`` (64 KiB);
a larger or endless one is a failed call and its connection is closed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Protocol as TypingProtocol
from urllib.parse import urlencode

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from core import net

WALLET_TIMEOUT_SECONDS = 5.0
OK, DECLINED, FAILED = "ok", "declined", "failed"
BALANCE_LIMIT = Decimal(10) ** 15  # the ledger's balance columns: 24 digits, 8 of them decimals
BALANCE_QUANTUM = Decimal("1e-8")


def partner_text(value, limit: int) -> str:
    """Text a partner sent, safe to store: without NUL (PostgreSQL text and jsonb refuse it), cut to the
    column. A partner's odd answer must not make the write of a whole delivery batch fail, again and again."""
    return str(value if value is not None else "").replace("\x00", "")[:limit]


def partner_balance(value) -> Decimal | None:
    """A balance a partner reported, or None when it is not a finite amount our columns hold."""
    if value is None or isinstance(value, bool) or isinstance(value, (dict, list)):
        return None
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return None
    if not amount.is_finite() or amount.copy_abs() >= BALANCE_LIMIT:  # copy_abs: exact; abs() rounds and can overflow
        return None
    return amount.quantize(BALANCE_QUANTUM, rounding=ROUND_DOWN)


@dataclass
class WalletResult:
    outcome: str  # ok | declined | failed
    http_status: int | None = None
    balance: Decimal | None = None
    partner_tx_id: str = ""
    error_code: str = ""
    message: str = ""
    action: str = ""
    action_data: str = ""
    error: str = ""  # technical, redacted: for the attempt log
    duration_ms: int = 0
    body: dict | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.outcome == OK

    @property
    def failed(self) -> bool:
        return self.outcome == FAILED

    def error_body(self) -> dict | None:
        if self.ok:
            return None
        body = {"message": self.message or self.error}
        for key in ("error_code", "action", "action_data"):
            value = getattr(self, key)
            if value:
                body[{"error_code": "code", "action_data": "actionData"}.get(key, key)] = value
        return body


class WalletTransport(TypingProtocol):
    def balance(self, session) -> WalletResult: ...

    def bet(self, tx) -> WalletResult: ...

    def win(self, tx) -> WalletResult: ...

    def refund(self, tx) -> WalletResult: ...


# ------------------------------------------------------------ HTTP pool --


def wallet_timeout() -> float:
    from django.conf import settings

    return settings.HUB_WALLET_TIMEOUT_SECONDS


@dataclass(frozen=True)
class HttpResponse:
    status_code: int
    content: bytes


POOL_MAXSIZE = 64  # kept-alive connections per partner host (the pump's cap is 32 by default)


class PeerRefused(NewConnectionError):
    """The partner host resolved (or connected) only to addresses the outbound policy refuses."""


_REFUSED = "Refused: the partner host is a private, loopback or internal address."


class _CheckedPeer:
    """``_new_conn`` of urllib3's connections, connecting only to addresses the outbound policy allows."""

    def _new_conn(self) -> socket.socket:
        host = self._dns_host.strip("[]")
        try:
            infos = socket.getaddrinfo(host, self.port, urllib3_connection.allowed_gai_family(), socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise NameResolutionError(self.host, self, e) from e
        allowed = [info[4][0] for info in infos if net.outbound_address_allowed(info[4][0])]
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
        raise error


class CheckedHTTPConnection(_CheckedPeer, HTTPConnection):
    pass


class CheckedHTTPSConnection(_CheckedPeer, HTTPSConnection):
    pass


class _CheckedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = CheckedHTTPConnection


class _CheckedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = CheckedHTTPSConnection


_pool_lock = threading.Lock()
_pool: tuple[int, urllib3.PoolManager] | None = None


def http_client() -> urllib3.PoolManager:
    """The process-wide pool (keep-alive; one connection pool per partner host; peers checked on connect)."""
    global _pool
    pid = os.getpid()
    current = _pool
    if current is not None and current[0] == pid:
        return current[1]
    with _pool_lock:
        if _pool is None or _pool[0] != pid:
            manager = urllib3.PoolManager(
                num_pools=200,
                maxsize=POOL_MAXSIZE,
                block=False,
                retries=False,
                headers={"User-Agent": "integration-hub/1.0"},
            )
            manager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}
            _pool = (pid, manager)
        return _pool[1]


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


def max_response_bytes() -> int:
    from django.conf import settings

    return settings.HUB_WALLET_MAX_RESPONSE_BYTES


def _read_bounded(raw, limit: int, deadline: float) -> bytes:
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


def _discard(raw) -> None:
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
    timeout: float | None = None,
) -> tuple[HttpResponse | None, str, int]:
    """One HTTP call: (response or None, redacted error text, duration ms). Never raises for network errors.

    The whole call (connect, headers, body) keeps to ``timeout``; the body is read up to
    HUB_WALLET_MAX_RESPONSE_BYTES, more is a failed call ("response too large")."""
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    seconds = timeout if timeout is not None else wallet_timeout()
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
        response = HttpResponse(raw.status, _read_bounded(raw, limit, started + seconds))
        raw.release_conn()
        raw = None
        return response, "", elapsed()
    except _TooLarge:
        return None, f"response too large: more than {limit} bytes", elapsed()
    except _TooSlow:
        return None, f"timeout: the response took more than {seconds:g} s", elapsed()
    except PeerRefused:
        return None, "connection error: refused, the partner host is a private or internal address", elapsed()
    except NewConnectionError as exc:  # urllib3 makes it a TimeoutError, but nothing waited: refused, unreachable
        return None, f"connection error: {type(exc).__name__}", elapsed()
    except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
        return None, f"timeout: {type(exc).__name__}", elapsed()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return None, f"connection error: {type(exc).__name__}", elapsed()
    finally:
        if raw is not None:
            _discard(raw)


def parse_json_decimal(response: HttpResponse):
    import json

    try:
        return json.loads(response.content or b"null", parse_float=Decimal)
    except (ValueError, RecursionError, ArithmeticError):  # not JSON, nested deeper than the stack, a number
        return None  # no Decimal holds (decimal.InvalidOperation)


def classify(response: HttpResponse | None, error: str, duration_ms: int) -> WalletResult:
    """200 → ok; 5xx / timeout / connection error → failed; any other status → declined."""
    if response is None:
        return WalletResult(
            FAILED,
            error=error,
            message="The casino wallet did not answer.",
            error_code="client_connection_error",
            duration_ms=duration_ms,
        )
    body = parse_json_decimal(response)
    body = body if isinstance(body, dict) else None
    if response.status_code == 200:
        return WalletResult(OK, http_status=200, duration_ms=duration_ms, body=body)
    message = code = action = action_data = ""
    if body:
        message = partner_text(body.get("message") or "", 500)
        code = partner_text(body.get("code") or body.get("error") or "", 64)
        action = partner_text(body.get("action") or "", 32)
        action_data = partner_text(body.get("actionData") or "", 500)
    outcome = FAILED if response.status_code >= 500 else DECLINED
    return WalletResult(
        outcome,
        http_status=response.status_code,
        error_code=code,
        message=message,
        action=action,
        action_data=action_data,
        error=f"HTTP {response.status_code}",
        duration_ms=duration_ms,
        body=body,
    )


_registry: dict[str, WalletTransport] = {}


def register(protocol: str, transport: WalletTransport) -> None:
    _registry[protocol] = transport


def transport_for(protocol: str) -> WalletTransport:
    """The transport registered for ``protocol`` (the edges register theirs in their AppConfig.ready())."""
    try:
        return _registry[protocol]
    except KeyError:
        raise LookupError(f"no wallet transport registered for protocol {protocol!r}") from None
