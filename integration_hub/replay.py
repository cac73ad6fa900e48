"""One-shot signed requests: a signature accepted once is refused for as long as it could still verify.

An IGSP signature covers the body and ``X-Timestamp``; a captured request verifies again for the whole
``±HUB_CLOCK_SKEW_SECONDS`` window. ``signature_first_use`` records the (key, signature) pair and answers,
atomically, whether this is its first use. The signature alone identifies the request (it is an HMAC of
body + timestamp), so the pair is keyed on the verifying credential and the signature as compared
(lower case, trimmed): a replay with the timestamp spelt differently or the hex in upper case is still a replay.

The store is shared by every web process and outlives any one of them:
- Redis when ``REDIS_URL`` is set: the Django cache's ``add`` (``SET key NX EX ttl``);
- else the database: ``tenants.SeenSignature``, whose primary key makes the insert the check.
Entries live twice the window: a timestamp accepted at ``t`` lies in ``[t - w, t + w]``, so its request is
stale by ``t + 2w`` at the latest. Expired rows are deleted by the ``integration_hub.purge_seen_signatures``
beat task; until then an expired row is taken over by the next first use of its digest.

Only a request whose signature verified may call this (never let unauthenticated traffic fill the store).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from core.errors import ApplicationError
from tenants.models import SeenSignature

CACHE_PREFIX = "replay:v1:"


class ReplayStoreUnavailable(ApplicationError):
    """The shared store cannot be reached: refuse rather than let a replay through."""

    status_code = 503
    code = "unavailable"


def ttl_seconds() -> int:
    return 2 * settings.HUB_CLOCK_SKEW_SECONDS


def digest(key_id: str, signature: str) -> str:
    normalized = (signature or "").strip().lower()
    return hashlib.sha256(f"{key_id}\n{normalized}".encode()).hexdigest()


def store_key(key_id: str, signature: str) -> str:
    return CACHE_PREFIX + digest(key_id, signature)


def signature_first_use(*, key_id: str, signature: str) -> bool:
    """True the first time (key, signature) is seen (and records it); False for a replay."""
    ttl = ttl_seconds()
    if settings.REDIS_URL:
        try:
            return bool(cache.add(store_key(key_id, signature), 1, timeout=ttl))
        except (RedisError, OSError) as exc:
            raise ReplayStoreUnavailable("The service is temporarily unavailable, retry shortly.") from exc
    now = timezone.now()
    row = digest(key_id, signature)
    expires_at = now + timedelta(seconds=ttl)
    try:
        with transaction.atomic():
            SeenSignature.objects.create(digest=row, expires_at=expires_at)
        return True
    except IntegrityError:
        # Seen before; still a first use if that entry has expired and is not purged yet (one UPDATE wins).
        return bool(SeenSignature.objects.filter(digest=row, expires_at__lte=now).update(expires_at=expires_at))


def seen_signatures_purge(*, now: datetime | None = None) -> int:
    """Delete the database store's expired entries; returns how many."""
    deleted, _ = SeenSignature.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
