"""Fixed-window rate limits in the Django cache (shared by every process when the cache is Redis).

``rate_hit(scope, ident, rate)`` counts one request of ``ident`` (a partner's id) against ``rate`` ("120/min":
N per s, min, hour or day) and answers ``None`` when it is allowed, else the seconds until the window ends (the
``Retry-After`` of the 429). No HTTP here: each edge answers the refusal in its own shape.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/min" → (120, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[:1].lower()]


def rate_hit(scope: str, ident: str, rate: str) -> int | None:
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    key = f"ratelimit:{scope}:{ident}:{period}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))
