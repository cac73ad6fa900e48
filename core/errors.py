"""Domain errors and the one DRF exception handler that renders each protocol's shape.

Views declare ``error_style``:
- ``"igsp"``: ``{"error": code, "message": text, "status": http_status}``
  (the shape of the IGSP contracts' ErrorResponse);
- ``"public_api"``: ``{"message": text, "details"?: text, "code"?: code}``
  (the Core API ErrorResponse; ``code`` only where the contract's enum has it);
- anything else: the IGSP-like shape, used by hub endpoints.

An unexpected exception in a DRF view is logged (with its traceback, through the redacting log filter)
and answered 500 in the view's shape with a generic message, never the exception's text or Django's HTML
page; Django errors outside DRF views are rendered by the handlers in ``config.views``.
"""

from __future__ import annotations

import logging

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

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

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_request"
    retry_after: int | None = None  # seconds; sent as Retry-After (a retryable refusal, e.g. 503)

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None,
                 details: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.details = details
        self.extra = extra or {}


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class Gone(ApplicationError):
    status_code = status.HTTP_410_GONE
    code = "session_expired"


class AccountBlocked(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "account_blocked"


class UpstreamUnavailable(ApplicationError):
    status_code = status.HTTP_502_BAD_GATEWAY
    code = "partner_unreachable"


def _flatten(detail, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out.extend(_flatten(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}"))
        return out
    if isinstance(detail, (list, tuple)):
        out = []
        for item in detail:
            out.extend(_flatten(item, prefix))
        return out
    text = str(detail)
    return [f"{prefix}: {text}" if prefix else text]


_STATUS_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
    502: "partner_unreachable",
}


def render_error(style: str, status_code: int, message: str, code: str | None = None,
                 details: str | None = None, extra: dict | None = None) -> dict:
    if style == "public_api":
        body: dict = {"message": message}
        if details:
            body["details"] = details
        if code in PUBLIC_API_CODES:
            body["code"] = code
        if extra:
            body.update(extra)
        return body
    body = {"error": code or _STATUS_CODES.get(status_code, "error"), "message": message, "status": status_code}
    if details:
        body["details"] = details
    if extra:
        body.update(extra)
    return body


def exception_handler(exc, context):
    view = context.get("view")
    style = getattr(view, "error_style", "igsp")

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(
            render_error(style, exc.status_code, exc.message, exc.code, exc.details, exc.extra),
            status=exc.status_code,
            headers={"Retry-After": str(exc.retry_after)} if exc.retry_after else None,
        )

    if isinstance(exc, exceptions.APIException):
        set_rollback()
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        code = _STATUS_CODES.get(exc.status_code)
        if isinstance(exc, exceptions.ValidationError):
            message = "; ".join(_flatten(exc.detail)) or "Invalid request."
            code = "invalid_request"
        elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            message = AUTH_FAILED_MESSAGE
        else:
            message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else "; ".join(_flatten(exc.detail))
        return Response(render_error(style, exc.status_code, message, code), status=exc.status_code, headers=headers)

    set_rollback()
    request = context.get("request")
    where = f"{request.method} {request.path}" if request is not None else type(view).__name__
    if isinstance(exc, (BadRequest, SuspiciousOperation, MultiPartParserError)):
        # What Django itself answers 400 (a malformed request, a disallowed Host), in the protocol's shape.
        logger.warning("bad request %s: %s", where, type(exc).__name__)
        return Response(render_error(style, 400, "Bad request.", "invalid_request"), status=400)
    # A bug: logged with its traceback (the log filter redacts secrets), answered without any detail.
    logger.error("unhandled error in %s", where, exc_info=exc)
    return Response(render_error(style, 500, INTERNAL_ERROR_MESSAGE, "internal_error"), status=500)
