"""Session API authentication: ``X-Casino-Key: igsp_<secret>``, checked against the session's key hash.

``SessionKeyAuthentication`` answers ``None`` without the header and one 401 for every failure (unknown
session, wrong key, a session id that is not a UUID); ``IsGameSession`` requires the session principal. Used by
the views in ``integration_hub/session_api/views.py``."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from core.api.authentication import auth_failed
from core.errors import AUTH_FAILED_MESSAGE
from wallet import session_cache
from wallet.models import GameSession
from wallet.services import hash_session_key

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


def session_for_key(session_id: Any, key: str | None) -> GameSession | None:
    """The session whose id is ``session_id`` (the URL's) and whose key is ``key`` (``X-Casino-Key``), with its
    partner, ExtCID and game (``wallet.session_cache``, at most a second old); None for every failure: no key, an
    id that is not a UUID, an unknown session, a wrong key (compared in constant time)."""
    if key is None:
        return None
    try:
        sid = uuid.UUID(str(session_id))
    except ValueError:
        return None
    session = session_cache.session_get(sid)
    expected = session.key_hash if session else "0" * 64
    if not hmac.compare_digest(hash_session_key(key.strip()), expected) or session is None:
        return None
    return session


@dataclass
class SessionPrincipal:
    session: GameSession
    is_authenticated: bool = True
    is_anonymous: bool = False


class SessionKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        key = request.META.get("HTTP_X_CASINO_KEY")
        if key is None:
            return None
        kwargs = (request.parser_context or {}).get("kwargs", {})
        session = session_for_key(kwargs.get("session_id"), key)
        if session is None:
            raise auth_failed()
        return SessionPrincipal(session=session), None

    def authenticate_header(self, request: Request) -> str:
        return 'X-Casino-Key realm="session"'


class IsGameSession(BasePermission):
    message = AUTH_FAILED_MESSAGE

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.user, SessionPrincipal)
