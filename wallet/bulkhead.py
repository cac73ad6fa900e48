"""The bet bulkhead: a cap on concurrent bet calls per partner, so one slow wallet cannot stall the others.

Bets are synchronous: a web thread waits for the partner's answer (up to the wallet timeout). Without a
cap, one partner answering in 5 s would hold every web thread of the node (workers × threads) and every
tenant's players would wait. With it, a partner has at most ``Partner.max_bets_in_flight`` (else
HUB_PARTNER_MAX_BETS_IN_FLIGHT) bet calls in flight; one more is refused at once with ``PartnerBusy``
(503, Retry-After: 1), before anything is written.

Where the slots live:

- ``REDIS_URL`` set: a sorted set per partner in Redis (members: slot tokens, scores: expiry in ms on
  the Redis clock). One Lua script drops the expired members, checks ZCARD < cap and adds the token, so
  the cap holds across every thread, process and node sharing that Redis. A release is a ZREM. A slot
  expires after the wallet timeout plus a margin, so a killed process cannot leak slots for longer.
  If Redis cannot be reached, the process-local store takes over for a few seconds (the cap then holds
  per process only) rather than refusing every bet or running without a cap.
- embedded default (no Redis): process-local slots (a counter per partner under a lock, non-blocking,
  like a BoundedSemaphore whose size follows the partner's setting). The cap then holds per web
  process: with N gunicorn workers a partner can have up to N × cap bet calls in flight.

Demo sessions never call a partner and take no slot.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings

from core.db import Pk
from core.errors import ApplicationError

if TYPE_CHECKING:
    from tenants.models import Partner

logger = logging.getLogger(__name__)

TTL_MARGIN_SECONDS = 10.0  # a slot outlives the wallet timeout by this much (the pending write, the outcome)
REDIS_RETRY_SECONDS = 5.0  # after a Redis error, the local store is used this long before Redis is tried again
KEY_PREFIX = "hub:bulkhead:"


class PartnerBusy(ApplicationError):
    """The partner already has as many bet calls in flight as its cap allows: retry in a moment."""

    status_code = 503
    code = "partner_busy"
    retry_after = 1

    def __init__(self, message: str = "The casino wallet is busy; try again.", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


# ---------------------------------------------------------------- stores --


class LocalSlots:
    """Slots in this process: the cap holds across its threads (not across processes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, dict[str, float]] = {}

    def acquire(self, key: str, cap: int, ttl: float) -> str | None:
        # The token is drawn before the lock: ``uuid4`` reads os.urandom, a system call that lets go of the
        # GIL, and a thread holding the lock then waits for the GIL behind busy threads while every other bet
        # of the process queues on the lock (py-spy at c=16: 14 % of a web worker's request time).
        token, now = uuid.uuid4().hex, time.monotonic()
        with self._lock:
            held = self._slots.setdefault(key, {})
            for expired in [t for t, expiry in held.items() if expiry <= now]:
                del held[expired]
            if len(held) >= cap:
                return None
            held[token] = now + ttl
            return token

    def release(self, key: str, token: str) -> None:
        with self._lock:
            held = self._slots.get(key)
            if held is not None:
                held.pop(token, None)
                if not held:
                    del self._slots[key]


# KEYS[1] the partner's set; ARGV: cap, ttl ms, token. 1 = taken, 0 = full. Redis's own clock: the nodes'
# clocks do not matter. The key itself expires with its last slot (no set outlives its partner's traffic).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
"""


class RedisSlots:
    """Slots in Redis: the cap holds across processes and nodes. Falls back to ``LocalSlots`` while
    Redis cannot be reached."""

    LOCAL = "local:"  # prefix of tokens the fallback handed out

    def __init__(self, url: str):
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(_ACQUIRE)
        self._fallback = LocalSlots()
        self._down_until = 0.0

    def _redis_up(self) -> bool:
        return time.monotonic() >= self._down_until

    def _mark_down(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
        logger.warning(
            "bulkhead: Redis unavailable (%s); bet caps hold per process for %.0f s",
            type(exc).__name__,
            REDIS_RETRY_SECONDS,
        )

    def acquire(self, key: str, cap: int, ttl: float) -> str | None:
        import redis

        if self._redis_up():
            token = uuid.uuid4().hex
            try:
                taken = self._script(keys=[KEY_PREFIX + key], args=[cap, max(1, int(ttl * 1000)), token])
                return token if taken == 1 else None
            except redis.RedisError as exc:
                self._mark_down(exc)
        local = self._fallback.acquire(key, cap, ttl)
        return None if local is None else self.LOCAL + local

    def release(self, key: str, token: str) -> None:
        import redis

        if token.startswith(self.LOCAL):
            self._fallback.release(key, token[len(self.LOCAL) :])
            return
        try:
            self._client.zrem(KEY_PREFIX + key, token)
        except redis.RedisError as exc:  # the slot expires on its own
            self._mark_down(exc)


_store_lock = threading.Lock()
_store: tuple[int, str, LocalSlots | RedisSlots] | None = None


def store() -> LocalSlots | RedisSlots:
    """This process's slot store: Redis when REDIS_URL is set, else local (re-created after a fork)."""
    global _store
    url, pid = settings.REDIS_URL, os.getpid()
    current = _store
    if current is not None and current[:2] == (pid, url):
        return current[2]
    with _store_lock:
        if _store is None or _store[:2] != (pid, url):
            _store = (pid, url, RedisSlots(url) if url else LocalSlots())
        return _store[2]


# ------------------------------------------------------------------ bets --


def bet_key(partner_id: Pk) -> str:
    return f"bet:{partner_id}"


def bet_cap(partner: Partner) -> int:
    """Concurrent bet calls to a partner: its own setting (admin), else HUB_PARTNER_MAX_BETS_IN_FLIGHT."""
    return max(1, int(partner.max_bets_in_flight or settings.HUB_PARTNER_MAX_BETS_IN_FLIGHT))


def slot_ttl() -> float:
    from .transport import wallet_timeout

    return float(wallet_timeout()) + TTL_MARGIN_SECONDS


@contextmanager
def slot(
    key: str, cap: int, *, using: LocalSlots | RedisSlots | None = None, ttl: float | None = None
) -> Iterator[None]:
    """Hold one of ``cap`` slots for the block, or raise ``PartnerBusy`` at once; always given back."""
    slots = using or store()
    token = slots.acquire(key, cap, slot_ttl() if ttl is None else ttl)
    if token is None:
        raise PartnerBusy()
    try:
        yield
    finally:
        slots.release(key, token)


def bet_slot(partner: Partner) -> AbstractContextManager[None]:
    """The slot a real-money bet holds while it is written as pending and sent to the partner."""
    return slot(bet_key(partner.pk), bet_cap(partner))
