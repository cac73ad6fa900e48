"""Game sessions as the game page's requests see them, cached in the process for at most
``HUB_SESSION_CACHE_SECONDS`` (1 s by default, never more).

Every Session API request first looks its session up (with its partner, ExtCID and game) to check the key; a
player's page makes several requests a second, so the row is kept for a second instead of read each time. What
the cache may hold back is bounded by that second: a session closed or terminated by another process, or its
partner suspended, is refused at most ``HUB_SESSION_CACHE_SECONDS`` later (``session_check_open`` reads the
cached row; expiry is checked against the clock on every request). A session closed in this process is
forgotten at once (``forget``). Money never comes from the cache: balances are read from the database or the
partner's wallet.

The cached instance is shared by the requests of one session that overlap: callers read it, never change it.
"""

from __future__ import annotations

import threading
import time
import uuid

from django.conf import settings

from core.db import PreparedGet

from .models import GameSession

# The hottest query of the game page, compiled once per process (``core.db.PreparedGet``).
SESSION_LOOKUP = PreparedGet(lambda: GameSession.objects.select_related("partner", "ext_client", "game"))

MAX_SECONDS = 1.0
MAX_ENTRIES = 20_000  # ~ the sessions one process serves within a second, many times over

_entries: dict[uuid.UUID, tuple[float, GameSession | None]] = {}
_lock = threading.Lock()


def ttl() -> float:
    return max(0.0, min(float(getattr(settings, "HUB_SESSION_CACHE_SECONDS", MAX_SECONDS)), MAX_SECONDS))


def session_get(session_id: uuid.UUID) -> GameSession | None:
    """The session with its partner, ExtCID and game (None: no such session), as read at most ``ttl()`` ago."""
    seconds = ttl()
    if seconds <= 0:
        return SESSION_LOOKUP.get(session_id)
    now = time.monotonic()
    entry = _entries.get(session_id)
    if entry is not None and entry[0] > now:
        return entry[1]
    session = SESSION_LOOKUP.get(session_id)
    if session is not None:  # unknown ids are not kept: a guesser cannot fill the cache
        with _lock:
            if len(_entries) >= MAX_ENTRIES:
                for key in [k for k, (until, _) in _entries.items() if until <= now] or list(_entries):
                    del _entries[key]
            _entries[session_id] = (now + seconds, session)
    return session


def forget(*session_ids: uuid.UUID | str) -> None:
    """Drop sessions this process closed, so its next request reads them again."""
    with _lock:
        for session_id in session_ids:
            _entries.pop(session_id if isinstance(session_id, uuid.UUID) else uuid.UUID(str(session_id)), None)


def clear() -> None:
    with _lock:
        _entries.clear()
