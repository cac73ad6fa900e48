"""The session key as the protocol edges hand it out: its prefix, and the launch URL that carries it.

The key is the game page's credential for the Session API (``X-Casino-Key``, ``authentication.py``); the
prefix makes it recognisable, so the log filter (``core/logging.py``) redacts it wherever it appears."""

from __future__ import annotations

from django.conf import settings

from wallet.services import NewSession

SESSION_KEY_PREFIX = "igsp_"


def launch_url(created: NewSession) -> str:
    """The game page for a session; the key travels in the fragment (never sent to servers or in referrers)."""
    return f"{settings.HUB_PUBLIC_URL}/launch/{created.session.pk}#key={created.key}"
