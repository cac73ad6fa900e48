"""The partner-wallet transport interface (balance, bet, win, refund).

Two implementations live at the protocol edges:
``integration_hub.igsp.client.IgspHooksTransport`` and
``integration_hub.public_api.client.AdapterTransport``. They never raise for a
partner's failure: they return a ``WalletResult``.

HTTP: one pooled keep-alive ``httpx.Client`` per process (re-created after a
fork, so Celery's prefork children do not share sockets), 5 s timeout.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol as TypingProtocol

import httpx

WALLET_TIMEOUT_SECONDS = 5.0
OK, DECLINED, FAILED = "ok", "declined", "failed"


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

    return getattr(settings, "HUB_WALLET_TIMEOUT_SECONDS", WALLET_TIMEOUT_SECONDS)


_pool_lock = threading.Lock()
_pool: tuple[int, httpx.Client] | None = None


def http_client() -> httpx.Client:
    """The process-wide pooled client (keep-alive, 5 s timeout)."""
    global _pool
    pid = os.getpid()
    current = _pool
    if current is not None and current[0] == pid:
        return current[1]
    with _pool_lock:
        if _pool is None or _pool[0] != pid:
            client = httpx.Client(
                timeout=httpx.Timeout(WALLET_TIMEOUT_SECONDS),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=30),
                headers={"User-Agent": "integration-hub/1.0"},
                follow_redirects=False,
            )
            _pool = (pid, client)
        return _pool[1]


def send(method: str, url: str, *, content: bytes | None = None, headers: dict | None = None,
         params: dict | None = None, timeout: float | None = None) -> tuple[httpx.Response | None, str, int]:
    """One HTTP call: (response or None, redacted error text, duration ms). Never raises for network errors."""
    started = time.perf_counter()
    try:
        response = http_client().request(method, url, content=content, headers=headers, params=params,
                                         timeout=timeout if timeout is not None else wallet_timeout())
        response.read()
        return response, "", int((time.perf_counter() - started) * 1000)
    except httpx.TimeoutException as exc:
        return None, f"timeout: {type(exc).__name__}", int((time.perf_counter() - started) * 1000)
    except httpx.HTTPError as exc:
        return None, f"connection error: {type(exc).__name__}", int((time.perf_counter() - started) * 1000)


def parse_json_decimal(response: httpx.Response):
    import json

    try:
        return json.loads(response.content or b"null", parse_float=Decimal)
    except ValueError:
        return None


def classify(response: httpx.Response | None, error: str, duration_ms: int) -> WalletResult:
    """200 → ok; 5xx / timeout / connection error → failed; any other status → declined."""
    if response is None:
        return WalletResult(FAILED, error=error, message="The casino wallet did not answer.",
                            error_code="client_connection_error", duration_ms=duration_ms)
    body = parse_json_decimal(response)
    body = body if isinstance(body, dict) else None
    if response.status_code == 200:
        return WalletResult(OK, http_status=200, duration_ms=duration_ms, body=body)
    message = code = action = action_data = ""
    if body:
        message = str(body.get("message") or "")[:500]
        code = str(body.get("code") or body.get("error") or "")[:64]
        action = str(body.get("action") or "")[:32]
        action_data = str(body.get("actionData") or "")[:500]
    outcome = FAILED if response.status_code >= 500 else DECLINED
    return WalletResult(outcome, http_status=response.status_code, error_code=code, message=message, action=action,
                        action_data=action_data, error=f"HTTP {response.status_code}", duration_ms=duration_ms,
                        body=body)


_registry: dict[str, WalletTransport] = {}


def register(protocol: str, transport: WalletTransport) -> None:
    _registry[protocol] = transport


def transport_for(protocol: str) -> WalletTransport:
    if protocol not in _registry:
        # Edges register themselves on import.
        import integration_hub.igsp.client  # noqa: F401
        import integration_hub.public_api.client  # noqa: F401
    return _registry[protocol]
