"""The one DRF exception handler: domain errors (``core.errors``) and DRF's own, in each protocol's shape.

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
from typing import Any

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import (
    AUTH_FAILED_MESSAGE,
    INTERNAL_ERROR_MESSAGE,
    PUBLIC_API_CODES,
    ApplicationError,
    Declined,
    DeclineReason,
)

logger = logging.getLogger(__name__)


def _flatten(detail: Any, prefix: str = "") -> list[str]:
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


# A partner's refusal as the game page sees it: the player's own (400, 402), the session over at the partner
# (410), or a fault between the partner and us (502: the partner refused our signature).
DECLINE_STATUS = {
    DeclineReason.REFUSED: 400,
    DeclineReason.INSUFFICIENT_FUNDS: 402,
    DeclineReason.SESSION_GONE: 410,
    DeclineReason.INTEGRATION_FAULT: 502,
}


def http_status(exc: ApplicationError) -> int:
    """The HTTP status a domain error is answered with (every edge renders domain errors through this)."""
    if isinstance(exc, Declined):
        return DECLINE_STATUS[exc.reason]
    return exc.status_code


def render_error(
    style: str,
    status_code: int,
    message: str,
    code: str | None = None,
    details: str | None = None,
    extra: dict | None = None,
) -> dict:
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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
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
        status = http_status(exc)
        return Response(
            render_error(style, status, exc.message, exc.code, exc.details, exc.extra),
            status=status,
            headers={"Retry-After": str(exc.retry_after)} if exc.retry_after else None,
        )

    if isinstance(exc, exceptions.APIException):
        set_rollback()
        headers = {}
        auth_header, wait = getattr(exc, "auth_header", None), getattr(exc, "wait", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        if wait:
            headers["Retry-After"] = str(int(wait))
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
