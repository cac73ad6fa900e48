"""The bet bulkhead: one slow wallet cannot take a web process's threads from the other partners.

Bets are synchronous: a web thread waits for the partner's answer (up to the wallet timeout). Without a
guard, one partner answering in 5 s would hold every web thread of the node and every tenant's players
would wait. Two guards, checked before anything is written; over either a bet is refused at once with
``PartnerBusy`` (503, Retry-After: 1):

- **the thread guard, per process (always on):** a partner holds at most ``process_cap()`` of this
  process's bet calls at once: ``HUB_PARTNER_MAX_BETS_IN_FLIGHT`` when set, else
  ``HUB_PARTNER_BET_THREAD_SHARE`` (0.5) × ``HUB_WEB_THREADS`` (8), i.e. half of a gunicorn worker's
  threads. A count under a lock in the process: no network round trip. It protects threads, so it does
  not cap a partner's traffic: each node (and each worker process) adds capacity for every partner.
- **the partner's own cap, cluster-wide (off unless set in the admin):** ``Partner.max_bets_in_flight``
  protects the partner's own wallet: at most that many of its bet calls in flight across every process
  and node. With ``REDIS_URL`` set the slots are a sorted set per partner in Redis (members: slot tokens,
  scores: expiry in ms on the Redis clock); one Lua script drops the expired members, checks ZCARD < cap
  and adds the token; a release is a ZREM; a slot expires after the wallet timeout plus a margin, so a
  killed process cannot leak slots for longer. If Redis cannot be reached, process-local slots take over
  for a few seconds (the cap then holds per process only) rather than refusing every bet or running
  without a cap. Without Redis (embedded default) the cap holds per process.

Demo sessions never call a partner and take no slot.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
        # of the process queues on the lock (docs/performance.md).
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


class ThreadGuard:
    """In-flight bet calls per partner in this process: a count under a lock (a thread always gives its
    count back in a ``finally``, so nothing can leak while the process lives)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}

    def acquire(self, key: str, cap: int) -> bool:
        with self._lock:
            held = self._held.get(key, 0)
            if held >= cap:
                return False
            self._held[key] = held + 1
            return True

    def release(self, key: str) -> None:
        with self._lock:
            held = self._held.get(key, 0) - 1
            if held > 0:
                self._held[key] = held
            else:
                self._held.pop(key, None)

    def held(self, key: str) -> int:
        return self._held.get(key, 0)


_threads = ThreadGuard()
os.register_at_fork(after_in_child=lambda: globals().update(_threads=ThreadGuard()))


def threads() -> ThreadGuard:
    """This process's thread guard."""
    return _threads


def bet_key(partner_id: Pk) -> str:
    return f"bet:{partner_id}"


def process_cap() -> int:
    """A partner's bet calls in flight in one process: HUB_PARTNER_MAX_BETS_IN_FLIGHT when set, else
    HUB_PARTNER_BET_THREAD_SHARE × HUB_WEB_THREADS (at least 1)."""
    explicit = settings.HUB_PARTNER_MAX_BETS_IN_FLIGHT
    if explicit:
        return max(1, int(explicit))
    return max(1, int(settings.HUB_WEB_THREADS * settings.HUB_PARTNER_BET_THREAD_SHARE))


def bet_cap(partner: Partner) -> int | None:
    """The partner's own cluster-wide cap on bet calls in flight (admin), or None: no cap beyond the thread
    guard."""
    return int(partner.max_bets_in_flight) if partner.max_bets_in_flight else None


def slot_ttl() -> float:
    from .transport import wallet_timeout

    return float(wallet_timeout()) + TTL_MARGIN_SECONDS


@contextmanager
def slot(
    key: str, cap: int, *, using: LocalSlots | RedisSlots | None = None, ttl: float | None = None
) -> Iterator[None]:
    """Hold one of ``cap`` cluster-wide slots for the block, or raise ``PartnerBusy`` at once; always given
    back."""
    slots = using or store()
    token = slots.acquire(key, cap, slot_ttl() if ttl is None else ttl)
    if token is None:
        raise PartnerBusy()
    try:
        yield
    finally:
        slots.release(key, token)


@contextmanager
def bet_slot(partner: Partner) -> Iterator[None]:
    """What a real-money bet holds while it is written as pending and sent to the partner: a place in this
    process's thread guard, and a cluster-wide slot when the partner has its own cap."""
    key, guard = bet_key(partner.pk), _threads
    if not guard.acquire(key, process_cap()):
        raise PartnerBusy()
    try:
        cap = bet_cap(partner)
        if cap is None:
            yield
        else:
            with slot(key, cap):
                yield
    finally:
        guard.release(key)
