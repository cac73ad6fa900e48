"""Calls in flight at the sandbox partner, per tenant and action class (``bet``, ``payout``: win and refund),
counted in Redis so that every sandbox process adds to the same figure; the highest value seen is kept.
``make cluster`` reads it to show that the hub's per-partner caps held across all its nodes. Enabled by
``SANDBOX_INFLIGHT_REDIS_URL`` (dev and test settings only, like the sandbox itself)."""

from __future__ import annotations

import json

import redis
from django.conf import settings

_ENTER = """
local n = redis.call('INCR', KEYS[1])
if n > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], n) end
redis.call('INCR', KEYS[3])
return n
"""


def _client(url: str | None = None) -> redis.Redis:
    global _CLIENT
    if url is not None:
        return redis.Redis.from_url(url)
    if _CLIENT is None:
        _CLIENT = redis.Redis.from_url(settings.SANDBOX_INFLIGHT_REDIS_URL)
    return _CLIENT


_CLIENT: redis.Redis | None = None


def _kind(request) -> tuple[str, str] | None:
    parts = request.path.strip("/").split("/")
    if len(parts) < 3 or parts[0] != "t" or request.method != "POST":
        return None
    slug = parts[1]
    if parts[-1] == "hooks":
        try:
            action = json.loads(request.body or b"{}").get("action", "")
        except (ValueError, AttributeError):
            return None
    else:
        action = parts[-1]
    if action == "bet":
        return slug, "bet"
    if action in ("win", "refund"):
        return slug, "payout"
    return None


def stats(slug: str, url: str) -> dict[str, int]:
    """{"bet_max": …, "bet_calls": …, "payout_max": …, "payout_calls": …} for one tenant (Redis at ``url``)."""
    client = _client(url)
    out = {}
    for kind in ("bet", "payout"):
        out[f"{kind}_max"] = int(client.get(f"sbx:inflight:{slug}:{kind}:max") or 0)
        out[f"{kind}_calls"] = int(client.get(f"sbx:inflight:{slug}:{kind}:calls") or 0)
    return out


class InflightMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.enter = None

    def __call__(self, request):
        kind = _kind(request)
        if kind is None:
            return self.get_response(request)
        client = _client()
        key = f"sbx:inflight:{kind[0]}:{kind[1]}"
        if self.enter is None:
            self.enter = client.register_script(_ENTER)
        self.enter(keys=[key, f"{key}:max", f"{key}:calls"])
        try:
            return self.get_response(request)
        finally:
            client.decr(key)
