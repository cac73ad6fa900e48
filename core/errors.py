"""Domain errors: a client-facing failure with a stable code and the HTTP status it maps to.

No HTTP framework here (domain code raises these; ``core.api.exceptions`` is the one place that renders
them, in each protocol's own shape). ``status_code`` is a plain ``http.HTTPStatus`` value; a partner's
refusal (``Declined``) carries a ``DeclineReason`` instead, and the edge picks its status
(``core.api.exceptions.http_status``).
"""

from __future__ import annotations

from enum import StrEnum
from http import HTTPStatus
from typing import Any

AUTH_FAILED_MESSAGE = "Authentication failed: missing or invalid credentials or signature."
INTERNAL_ERROR_MESSAGE = "Internal server error."

PUBLIC_API_CODES = {
    "game_not_found",
    "currency_not_supported",
    "locale_not_supported",
    "account_blocked",
}


class ApplicationError(Exception):
    """A client-facing failure with a stable code. Never carries a secret."""

    status_code: int = HTTPStatus.BAD_REQUEST
    code = "invalid_request"
    retry_after: int | None = None  # seconds; sent as Retry-After (a retryable refusal, e.g. 503)

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: str | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.details = details
        self.extra = extra or {}


class NotFound(ApplicationError):
    status_code = HTTPStatus.NOT_FOUND
    code = "not_found"


class Conflict(ApplicationError):
    status_code = HTTPStatus.CONFLICT
    code = "conflict"


class TooManyRequests(ApplicationError):
    """A refusal to retry later: 429, with ``Retry-After`` (seconds) when ``retry_after`` is known."""

    status_code = HTTPStatus.TOO_MANY_REQUESTS
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Gone(ApplicationError):
    status_code = HTTPStatus.GONE
    code = "session_expired"


class AccountBlocked(ApplicationError):
    status_code = HTTPStatus.FORBIDDEN
    code = "account_blocked"


class UpstreamUnavailable(ApplicationError):
    status_code = HTTPStatus.BAD_GATEWAY
    code = "partner_unreachable"


class DeclineReason(StrEnum):
    """Why a partner's wallet refused an operation, as the game page needs to tell them apart."""

    REFUSED = "refused"  # any other refusal (limits, a blocked player, …): the player's to read
    INSUFFICIENT_FUNDS = "insufficient_funds"
    SESSION_GONE = "session_gone"  # the partner no longer knows the session (or says it expired)
    INTEGRATION_FAULT = "integration_fault"  # the partner refused our credentials: not the player's doing


class Declined(ApplicationError):
    """The partner's wallet refused an operation (a bet, a balance read): its code and message reach the game."""

    code = "declined"

    def __init__(self, message: str, *, reason: DeclineReason = DeclineReason.REFUSED, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason
