"""The two wire protocols from the hub's side, as the certification runner speaks them to a partner's wallet.

Each driver builds the exact bodies the hub's own transports send (IGSP hooks: one POST with an ``action``,
amounts as JSON numbers; Integration Adapter: ``GET /balance`` and ``POST /bet|win|refund``, amounts as decimal
strings over RFC 8785 bytes), signs them with ``core.signing`` and sends them through ``core.http`` (the pooled
client with the SSRF policy and bounded answers). A ``Sign`` mode lets a case send a deliberately broken
signature. Every call comes back as an ``Exchange``: what was sent and what the partner answered, ready to store.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import simplejson

from core import contracts, http, money, signing

BODY_LIMIT = 4000  # characters of a body kept in a stored result


class Sign(Enum):
    GOOD = "good"
    BAD = "bad"  # a random hex signature
    WRONG_KEY = "wrong_key"  # a valid HMAC with a key the partner never received
    STALE = "stale"  # IGSP: correctly signed, timestamp 10 minutes old
    FUTURE = "future"  # IGSP: correctly signed, timestamp 10 minutes ahead
    TAMPERED = "tampered"  # signed, then the body changed (amount) before sending
    MISSING = "missing"  # no signature header at all
    UNKNOWN_KEY_ID = "unknown_key_id"  # IGSP: a Bearer key id the partner never received


@dataclass
class Exchange:
    action: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_body: str = ""
    data: Any = None  # parsed JSON (Decimal numbers), None when not JSON
    ms: int = 0
    error: str = ""
    shape_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200

    def as_record(self) -> dict:
        return {
            "action": self.action,
            "method": self.method,
            "url": self.url,
            "headers": self.request_headers,
            "body": self.request_body[:BODY_LIMIT],
            "status": self.status,
            "response": self.response_body[:BODY_LIMIT],
            "ms": self.ms,
            "error": self.error,
            "shape_errors": self.shape_errors,
        }


def _shown(headers: dict[str, str]) -> dict[str, str]:
    """Headers as stored: signatures shortened (they are not secrets, but nothing needs them whole)."""
    out = {}
    for name, value in headers.items():
        if name in ("X-Signature", "X-REQUEST-SIGN") and len(value) > 12:
            value = value[:8] + "…"
        out[name] = value
    return out


def dumps(value: Any) -> bytes:
    """Compact JSON with Decimals written exactly (IGSP amounts are JSON numbers)."""
    return simplejson.dumps(value, use_decimal=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _parse(content: bytes) -> Any:
    try:
        return money.loads_decimal(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _send(exchange: Exchange, *, content: bytes | None, headers: dict, timeout: float) -> Exchange:
    response, error, ms = http.send(exchange.method, exchange.url, content=content, headers=headers, timeout=timeout)
    exchange.ms = ms
    exchange.error = error
    if response is not None:
        exchange.status = response.status_code
        exchange.response_body = response.content.decode("utf-8", errors="replace")
        exchange.data = _parse(response.content)
    return exchange


def _tamper(payload: dict) -> dict:
    changed = dict(payload)
    if "amount" in changed:
        amount = changed["amount"]
        changed["amount"] = str(Decimal(amount) + 1) if isinstance(amount, str) else Decimal(amount) + 1
    else:
        changed["player_id" if "player_id" in changed else "sessionID"] = "tampered-" + uuid.uuid4().hex[:6]
    return changed


class IgspDriver:
    """One hooks URL, Bearer key id + X-Timestamp + X-Signature over body + timestamp."""

    protocol = "igsp"
    contract = "igsp-platforms"

    def __init__(self, *, url: str, api_key: str, secret: str, timeout: float):
        self.url, self.api_key, self.secret, self.timeout = url, api_key, secret, timeout

    def _headers(self, body: bytes, sign: Sign) -> tuple[bytes, dict[str, str], bytes]:
        """(body signed, headers, body sent)."""
        now = datetime.now(UTC)
        key_id, secret = self.api_key, self.secret
        if sign is Sign.STALE:
            now -= timedelta(minutes=10)
        elif sign is Sign.FUTURE:
            now += timedelta(minutes=10)
        elif sign is Sign.WRONG_KEY:
            secret = secrets.token_hex(16)
        elif sign is Sign.UNKNOWN_KEY_ID:
            key_id = "gp_live_" + secrets.token_hex(12)
        headers = signing.igsp_headers(key_id, secret, body, now=now)
        if sign is Sign.BAD:
            headers["X-Signature"] = secrets.token_hex(32)
        elif sign is Sign.MISSING:
            headers.pop("X-Signature")
        headers["Content-Type"] = "application/json"
        return body, headers, body

    def call(self, action: str, payload: dict, *, sign: Sign = Sign.GOOD) -> Exchange:
        payload = {"action": action, **payload}
        body = dumps(payload)
        _, headers, sent = self._headers(body, sign)
        if sign is Sign.TAMPERED:
            sent = dumps(_tamper(payload))
        exchange = Exchange(action, "POST", self.url, _shown(headers), sent.decode("utf-8"))
        _send(exchange, content=sent, headers=headers, timeout=self.timeout)
        self._check_shape(exchange)
        return exchange

    def _check_shape(self, exchange: Exchange) -> None:
        if exchange.status is None:
            return
        if exchange.data is None:
            exchange.shape_errors = ["the answer is not JSON"]
            return
        if exchange.status == 200:
            component = "BalanceResponse" if exchange.action == "balance" else "TransactionResponse"
            exchange.shape_errors = contracts.validate_component(self.contract, component, exchange.data)
        else:
            exchange.shape_errors = contracts.validate_component(self.contract, "ErrorResponse", exchange.data)

    # The hub's own bodies (integration_hub/igsp/client.py), with the player and currency under test.
    def balance(self, ctx, *, player_id: str | None = None, currency: str | None = None, sign: Sign = Sign.GOOD):
        return self.call(
            "balance",
            {
                "player_id": ctx.player_id if player_id is None else player_id,
                "currency": currency or ctx.currency,
                "session_id": ctx.session_id,
            },
            sign=sign,
        )

    def money_payload(self, ctx, tx: str, amount: Decimal, extra: dict, player_id=None, currency=None) -> dict:
        return {
            "player_id": ctx.player_id if player_id is None else player_id,
            "amount": amount,
            "currency": currency or ctx.currency,
            "game_id": ctx.game_id,
            "transaction_id": tx,
            "session_id": ctx.session_id,
            **extra,
        }

    def bet(self, ctx, *, tx, amount, round_id, free=False, fr_id=None, sign=Sign.GOOD, player_id=None, currency=None):
        extra = {"type": "freespin" if free else "bet", "round_id": round_id, "finished": False}
        return self.call("bet", self.money_payload(ctx, tx, amount, extra, player_id, currency), sign=sign)

    def win(self, ctx, *, tx, amount, round_id, free=False, fr_id=None, kind=None, sign=Sign.GOOD):
        extra = {"type": kind or ("freespin" if free else "win"), "round_id": round_id, "finished": True}
        return self.call("win", self.money_payload(ctx, tx, amount, extra), sign=sign)

    def refund(self, ctx, *, tx, bet_tx, amount, round_id, sign=Sign.GOOD):
        extra = {"type": "bet", "bet_transaction_id": bet_tx, "round_id": round_id, "finished": True}
        return self.call("refund", self.money_payload(ctx, tx, amount, extra), sign=sign)

    @staticmethod
    def balance_of(exchange: Exchange) -> Decimal | None:
        data = exchange.data
        if not exchange.ok or not isinstance(data, dict):
            return None
        value = data.get("balance")
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            return None
        return Decimal(value)

    @staticmethod
    def partner_tx_of(exchange: Exchange) -> str:
        data = exchange.data
        return str(data.get("transaction_id") or "") if isinstance(data, dict) else ""

    @staticmethod
    def error_code(exchange: Exchange) -> str:
        data = exchange.data
        return str(data.get("error") or "") if isinstance(data, dict) else ""

    def amount(self, value: Decimal) -> Decimal:
        return value


class AdapterDriver:
    """An ExtCID's base URL: X-REQUEST-SIGN over the canonical query (GET) or the RFC 8785 body bytes (POST)."""

    protocol = "public_api"
    contract = "integration-adapter"

    def __init__(self, *, base_url: str, key: str, timeout: float):
        self.base, self.key, self.timeout = base_url.rstrip("/"), key, timeout

    def _signature(self, canonical: bytes, sign: Sign) -> str | None:
        if sign is Sign.MISSING:
            return None
        if sign is Sign.BAD:
            return secrets.token_hex(32)
        key = secrets.token_hex(16) if sign is Sign.WRONG_KEY else self.key
        return signing.public_sign(key, canonical)

    def get_balance(self, session_id: str, *, sign: Sign = Sign.GOOD) -> Exchange:
        params = {"sessionID": session_id}
        signature = self._signature(signing.canonical_query(params), sign)
        headers = {} if signature is None else {"X-REQUEST-SIGN": signature}
        from urllib.parse import urlencode

        url = f"{self.base}/balance?{urlencode(params)}"
        exchange = Exchange("balance", "GET", url, _shown(headers), "")
        _send(exchange, content=None, headers=headers, timeout=self.timeout)
        self._check_shape(exchange, "/balance", "get")
        return exchange

    def post(self, action: str, payload: dict, *, sign: Sign = Sign.GOOD) -> Exchange:
        body = signing.canonical_json(payload)
        signature = self._signature(body, sign)
        sent = signing.canonical_json(_tamper(payload)) if sign is Sign.TAMPERED else body
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-REQUEST-SIGN"] = signature
        exchange = Exchange(action, "POST", f"{self.base}/{action}", _shown(headers), sent.decode("utf-8"))
        _send(exchange, content=sent, headers=headers, timeout=self.timeout)
        self._check_shape(exchange, f"/{action}", "post")
        return exchange

    def _check_shape(self, exchange: Exchange, path: str, method: str) -> None:
        if exchange.status is None:
            return
        if exchange.data is None:
            exchange.shape_errors = ["the answer is not JSON"]
            return
        exchange.shape_errors = contracts.validate_response(self.contract, path, method, exchange.status, exchange.data)

    # The hub's own bodies (integration_hub/public_api/client.py).
    def balance(self, ctx, *, player_id: str | None = None, currency: str | None = None, sign: Sign = Sign.GOOD):
        return self.get_balance(ctx.session_id if player_id is None else player_id, sign=sign)

    def money_body(self, ctx, tx, amount, round_id, free, fr_id, session_id=None) -> dict:
        body = {
            "type": "free" if free else "regular",
            "sessionID": ctx.session_id if session_id is None else session_id,
            "amount": self.amount(amount),
            "txID": tx,
            "roundID": round_id,
        }
        if fr_id:
            body["frID"] = fr_id
        return body

    def bet(self, ctx, *, tx, amount, round_id, free=False, fr_id=None, sign=Sign.GOOD, player_id=None, currency=None):
        return self.post(
            "bet", self.money_body(ctx, tx, amount, round_id, free, fr_id, session_id=player_id), sign=sign
        )

    def win(self, ctx, *, tx, amount, round_id, free=False, fr_id=None, kind=None, sign=Sign.GOOD):
        return self.post("win", self.money_body(ctx, tx, amount, round_id, free, fr_id), sign=sign)

    def refund(self, ctx, *, tx, bet_tx, amount, round_id, sign=Sign.GOOD):
        body = {
            "sessionID": ctx.session_id,
            "txID": tx,
            "origTxID": bet_tx,
            "roundID": round_id,
            "amount": self.amount(amount),
        }
        return self.post("refund", body, sign=sign)

    @staticmethod
    def balance_of(exchange: Exchange) -> Decimal | None:
        data = exchange.data
        if not exchange.ok or not isinstance(data, dict):
            return None
        value = data.get("balance")
        if not isinstance(value, str):
            return None
        try:
            return Decimal(value)
        except ArithmeticError:
            return None

    @staticmethod
    def partner_tx_of(exchange: Exchange) -> str:
        data = exchange.data
        return str(data.get("txID") or "") if isinstance(data, dict) else ""

    @staticmethod
    def error_code(exchange: Exchange) -> str:
        data = exchange.data
        return str(data.get("code") or "") if isinstance(data, dict) else ""

    @staticmethod
    def amount(value: Decimal) -> str:
        return format(value, "f")
