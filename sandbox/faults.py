"""Fault injection for the sandbox partner.

Per action (``balance``, ``bet``, ``win``, ``refund``) a tenant stores::

    {"error_rate": 0..1,          # 500 in the protocol's error shape, nothing moved
     "stall_rate": 0..1, "stall_seconds": 6.0, "stall_mode": "before"|"after",
     "drop_rate": 0..1, "drop_mode": "before"|"after",   # TCP close, no HTTP response
     "latency_ms": 0,             # added to every call of that action
     "decline_code": null,        # e.g. "insufficient_funds", "bet_limit": 400 on every call
     # Broken wallets for the certification runner's proof (certification/):
     "double_credit": false,      # win: a repeated transaction id credits again (no idempotency)
     "ignore_signature": false,   # the action's calls are processed whatever their signature
     "round_amounts": false}      # the action's amounts are rounded half-up to 1 decimal place

One draw ``u`` in [0, 1) per call picks at most one of drop / stall / error
(``u < drop_rate`` → drop, then stall, then error). ``before`` means nothing
was processed; ``after`` means the action was processed (money moved and
committed) and then the answer stalls or the connection drops. With a fault
seed the n-th draw of an action is ``sha256(seed:action:n)``, the counter kept
in the database, so runs are repeatable across processes.
"""

from __future__ import annotations

import hashlib
import logging
import random
import socket
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

logger = logging.getLogger(__name__)

ACTIONS = ("balance", "bet", "win", "refund")
MODES = ("before", "after")
DEFAULTS: dict = {
    "error_rate": 0.0,
    "stall_rate": 0.0,
    "stall_seconds": 6.0,
    "stall_mode": "before",
    "drop_rate": 0.0,
    "drop_mode": "before",
    "latency_ms": 0,
    "decline_code": None,
    "double_credit": False,
    "ignore_signature": False,
    "round_amounts": False,
}
BOOL_KEYS = ("double_credit", "ignore_signature", "round_amounts")
RATE_KEYS = ("error_rate", "stall_rate", "drop_rate")
MAX_STALL_SECONDS = 300.0
MAX_LATENCY_MS = 60_000


class FaultConfigError(ValueError):
    pass


def _number(value, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise FaultConfigError(f"{key} must be a number")
    number = float(value)  # fault knobs, not money
    if not (low <= number <= high):
        raise FaultConfigError(f"{key} must be between {low:g} and {high:g}")
    return number


def normalize_action(data, action: str) -> dict:
    """Validate one action's settings; missing keys take the defaults."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FaultConfigError(f"{action}: must be an object")
    unknown = set(data) - set(DEFAULTS)
    if unknown:
        raise FaultConfigError(f"{action}: unknown keys {sorted(unknown)}")
    out = dict(DEFAULTS)
    for key in RATE_KEYS:
        if key in data:
            out[key] = _number(data[key], f"{action}.{key}", 0.0, 1.0)
    if "stall_seconds" in data:
        out["stall_seconds"] = _number(data["stall_seconds"], f"{action}.stall_seconds", 0.0, MAX_STALL_SECONDS)
    if "latency_ms" in data:
        out["latency_ms"] = int(_number(data["latency_ms"], f"{action}.latency_ms", 0, MAX_LATENCY_MS))
    for key in ("stall_mode", "drop_mode"):
        if key in data:
            if data[key] not in MODES:
                raise FaultConfigError(f"{action}.{key} must be one of {list(MODES)}")
            out[key] = data[key]
    if "decline_code" in data:
        code = data["decline_code"]
        if code is not None and (not isinstance(code, str) or not code or len(code) > 64):
            raise FaultConfigError(f"{action}.decline_code must be a short string or null")
        out["decline_code"] = code or None
    for key in BOOL_KEYS:
        if key in data:
            if not isinstance(data[key], bool):
                raise FaultConfigError(f"{action}.{key} must be a boolean")
            out[key] = data[key]
    return out


def normalize(data) -> dict:
    """Validate a whole fault mapping; returns settings for every action."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FaultConfigError("faults must be an object keyed by action")
    unknown = set(data) - set(ACTIONS)
    if unknown:
        raise FaultConfigError(f"unknown actions {sorted(unknown)}; expected {list(ACTIONS)}")
    return {action: normalize_action(data.get(action), action) for action in ACTIONS}


def settings_for(faults: dict | None, action: str | None) -> dict:
    if action not in ACTIONS:
        return dict(DEFAULTS)
    stored = (faults or {}).get(action) or {}
    merged = dict(DEFAULTS)
    merged.update({k: v for k, v in stored.items() if k in DEFAULTS})
    return merged


def needs_draw(cfg: dict) -> bool:
    return any(float(cfg[k]) > 0.0 for k in RATE_KEYS)


def seeded_draw(seed: int, action: str, n: int) -> float:
    digest = hashlib.sha256(f"{seed}:{action}:{n}".encode()).digest()
    return int.from_bytes(digest[:7], "big") / float(1 << 56)


def random_draw() -> float:
    return random.random()  # noqa: S311 - fault injection in the test partner, not a secret


@dataclass(frozen=True)
class FaultPlan:
    kind: str | None = None  # None | "error" | "stall" | "drop"
    mode: str = "before"
    seconds: float = 0.0

    @property
    def before(self) -> bool:
        return self.kind == "error" or (self.kind in ("stall", "drop") and self.mode == "before")

    @property
    def after(self) -> bool:
        return self.kind in ("stall", "drop") and self.mode == "after"


NO_FAULT = FaultPlan()


def plan_from_draw(cfg: dict, u: float) -> FaultPlan:
    threshold = float(cfg["drop_rate"])
    if u < threshold:
        return FaultPlan("drop", cfg["drop_mode"])
    threshold += float(cfg["stall_rate"])
    if u < threshold:
        return FaultPlan("stall", cfg["stall_mode"], float(cfg["stall_seconds"]))
    threshold += float(cfg["error_rate"])
    if u < threshold:
        return FaultPlan("error")
    return NO_FAULT


def rounded(amount: Decimal, cfg: dict) -> Decimal:
    """The ``round_amounts`` fault: a wallet that keeps one decimal place (half-up) instead of the currency's."""
    if cfg.get("round_amounts"):
        return amount.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return amount


def sleep_latency(cfg: dict) -> None:
    if cfg.get("latency_ms"):
        time.sleep(int(cfg["latency_ms"]) / 1000.0)


def stall(plan: FaultPlan) -> None:
    if plan.seconds > 0:
        time.sleep(plan.seconds)


# ---------------------------------------------------------- dropped connection --

_SOCKET_PATH_ATTRS = (
    "_sock",
    "raw",
    "__self__",
    "_read",
    "stream",
    "_stream",
    "rfile",
    "buffer",
    "sock",
    "connection",
    "request",
    "_file",
)


def find_client_socket(environ: dict) -> socket.socket | None:
    """The client connection behind a WSGI request.

    gunicorn puts it in ``environ['gunicorn.socket']``. wsgiref-based servers
    (Django's runserver and test live server, which pytest-django's
    ``live_server`` uses) only expose ``wsgi.input``: a LimitedStream whose
    ``_read`` is the bound ``read`` of the handler's buffered ``rfile``, whose
    ``raw`` is a ``SocketIO`` holding ``_sock``. A small breadth-first walk over
    those attribute names finds it without depending on one exact chain.
    """
    for key in ("gunicorn.socket", "uwsgi.socket", "sandbox.socket"):
        candidate = environ.get(key)
        if isinstance(candidate, socket.socket):
            return candidate
    frontier = [environ.get("wsgi.input")]
    seen: set[int] = set()
    for _depth in range(8):
        nxt = []
        for obj in frontier:
            if obj is None or id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, socket.socket):
                return obj
            for attr in _SOCKET_PATH_ATTRS:
                try:
                    child = getattr(obj, attr, None)
                except Exception:  # noqa: BLE001, S112 - properties of closed streams may raise
                    continue
                if child is not None and not isinstance(child, (str, bytes, int, float, bool)):
                    nxt.append(child)
        frontier = nxt
        if not frontier:
            break
    return None


def drop_connection(environ: dict) -> bool:
    """Shut the client's TCP connection down so it gets no HTTP response at all.

    Works on a duplicate of the descriptor: ``shutdown(SHUT_RDWR)`` acts on the
    connection itself (the peer sees EOF before any status line), while the
    server's own socket object stays valid and simply gets EPIPE when it tries
    to write the response, which gunicorn and Django's server both ignore.
    """
    sock = find_client_socket(environ)
    if sock is None:
        logger.warning("sandbox: cannot find the client socket; connection drop not possible here")
        return False
    try:
        dup = sock.dup()
    except OSError:
        dup = None
    target = dup or sock
    try:
        target.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        if dup is not None:
            dup.close()
    return True
