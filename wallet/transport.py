"""The partner-wallet transport interface (balance, bet, win, refund), its result and the transport registry.

Two implementations live at the protocol edges:
``integration_hub.igsp.client.IgspHooksTransport`` and
``integration_hub.public_api.client.AdapterTransport``. They never raise for a
partner's failure: they return a ``WalletResult`` (``classify`` turns an HTTP answer into one).

HTTP goes through the pooled client of ``core/http.py`` (keep-alive pool per process, peers checked against the
outbound policy on connect, bounded answers); ``send`` here calls it with the wallet timeout
(``HUB_WALLET_TIMEOUT_SECONDS``, 5 s for the whole call, so a delivery never outlives its lease).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any
from typing import Protocol as TypingProtocol

from core import http
from core.http import HttpAnswer

if TYPE_CHECKING:
    from .models import GameSession, Transaction

OK, DECLINED, FAILED = "ok", "declined", "failed"
BALANCE_LIMIT = Decimal(10) ** 15  # the ledger's balance columns: 24 digits, 8 of them decimals
BALANCE_QUANTUM = Decimal("1e-8")
RESPONSE_TEXT_KEPT = 2048  # of a non-JSON answer, for the delivery log


def partner_text(value: object, limit: int) -> str:
    """Text a partner sent, safe to store: without NUL (PostgreSQL text and jsonb refuse it), cut to the
    column. A partner's odd answer must not make the write of a whole delivery batch fail, again and again."""
    return str(value if value is not None else "").replace("\x00", "")[:limit]


def partner_balance(value: object) -> Decimal | None:
    """A balance a partner reported, or None when it is not a finite amount our columns hold."""
    if value is None or isinstance(value, (bool, dict, list)):
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
    # For the delivery log (wallet.calllog): what was sent (the payload, never the signature headers) and the
    # start of the partner's answer when it was not a JSON object.
    request: dict | None = field(default=None, repr=False)
    response_text: str = field(default="", repr=False)

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
    """A protocol's wallet calls. A transport may also offer ``prepare_win(tx)`` and ``prepare_refund(tx)``
    (a ``PreparedCall``, or a ``WalletResult`` when it cannot call): the delivery pump then sends them from
    its event loop (``wallet.delivery.attempts.start``); without them it calls ``win``/``refund`` on threads."""

    def balance(self, session: GameSession) -> WalletResult: ...

    def bet(self, tx: Transaction) -> WalletResult: ...

    def win(self, tx: Transaction) -> WalletResult: ...

    def refund(self, tx: Transaction) -> WalletResult: ...


# ------------------------------------------------------------------ HTTP --


def wallet_timeout() -> float:
    from django.conf import settings

    return settings.HUB_WALLET_TIMEOUT_SECONDS


def send(
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> tuple[HttpAnswer | None, str, int]:
    """One call to a partner wallet through the pooled client (``core.http.send``), within ``timeout`` or the
    wallet timeout: (response or None, redacted error text, duration ms). Never raises for network errors.
    The edges' clients look it up here (``transport.send``), so a test or a benchmark can stand in for it."""
    return http.send(
        method,
        url,
        content=content,
        headers=headers,
        params=params,
        timeout=timeout if timeout is not None else wallet_timeout(),
    )


@dataclass
class PreparedCall:
    """A wallet call built and signed, not sent yet: ``run()`` sends it here and now (``send``); the delivery
    pump sends it from the event loop instead (``send_soon``). ``finish(response, error, duration_ms)`` makes
    the answer a ``WalletResult`` (no database access: it may run on the loop's thread)."""

    method: str
    url: str
    finish: Callable[[HttpAnswer | None, str, int], WalletResult]
    content: bytes | None = None
    headers: dict[str, str] | None = None
    params: dict[str, Any] | None = None

    def run(self) -> WalletResult:
        return self.finish(*send(self.method, self.url, content=self.content, headers=self.headers, params=self.params))

    def run_soon(self) -> Future[WalletResult]:
        """The call from this process's event loop (``core.http.send_soon``), within the wallet timeout."""
        if self.params:
            raise ValueError("the event loop sends bodies, not queries")
        return send_soon(self.method, self.url, content=self.content, headers=self.headers, then=self.finish)


def run(call: PreparedCall | WalletResult) -> WalletResult:
    """A prepared call sent now, or the result a transport gave without calling (not configured)."""
    return call.run() if isinstance(call, PreparedCall) else call


def send_soon[T](
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    then: Callable[[HttpAnswer | None, str, int], T],
) -> Future[T]:
    """``send`` from the process's event loop (``core.http.send_soon``): at once a future of ``then(response,
    error, duration ms)``. Looked up here, as ``send`` is, so a test or a benchmark can stand in for both."""
    return http.send_soon(
        method,
        url,
        content=content,
        headers=headers,
        timeout=timeout if timeout is not None else wallet_timeout(),
        then=then,
    )


def parse_json_decimal(response: HttpAnswer) -> Any:
    import json

    try:
        return json.loads(response.content or b"null", parse_float=Decimal)
    except (ValueError, RecursionError, ArithmeticError):  # not JSON, nested deeper than the stack, a number
        return None  # no Decimal holds (decimal.InvalidOperation)


def classify(response: HttpAnswer | None, error: str, duration_ms: int) -> WalletResult:
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
    text = (
        ""
        if body is not None
        else partner_text(response.content[:RESPONSE_TEXT_KEPT].decode("utf-8", "replace"), RESPONSE_TEXT_KEPT)
    )
    if response.status_code == 200:
        return WalletResult(OK, http_status=200, duration_ms=duration_ms, body=body, response_text=text)
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
        response_text=text,
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
