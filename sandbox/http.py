"""HTTP plumbing shared by the sandbox's protocol and control views."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import faults, services
from .models import SandboxTenant

logger = logging.getLogger("sandbox")

ErrorRenderer = Callable[[int, str, str], HttpResponse]  # (status, code, message) -> response


def json_response(status: int, body: str) -> HttpResponse:
    return HttpResponse(body.encode("utf-8"), status=status, content_type="application/json")


def guarded(error: ErrorRenderer):
    """Never answer an HTML 500: unexpected errors come back in the protocol's own error shape."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except Exception:
                logger.exception("sandbox: unexpected error in %s", view.__name__)
                return error(500, "internal_error", "Internal server error")

        return wrapper

    return decorator


def dropped_response() -> HttpResponse:
    """What the view returns after the socket was shut down; the server fails to write it (EPIPE).

    499 ("client closed request", the nginx convention) marks it in access logs; Django's
    request logger is told it was logged already (the sandbox logged the fault itself).
    """
    response = HttpResponse(b"", status=499)
    response["Connection"] = "close"
    response._has_been_logged = True  # type: ignore[attr-defined]  # noqa: SLF001 - Django's flag that silences its request logger
    return response


def run_with_faults(
    request: HttpRequest,
    *,
    tenant: SandboxTenant,
    action: str,
    cfg: dict,
    error: ErrorRenderer,
    decline: Callable[[str], HttpResponse],
    process: Callable[[], HttpResponse],
) -> HttpResponse:
    """Apply the action's fault plan around ``process`` (which moves money and commits)."""
    plan = services.fault_plan(tenant=tenant, action=action, cfg=cfg)
    if plan.kind:
        logger.info("sandbox fault: tenant=%s action=%s kind=%s mode=%s", tenant.slug, action, plan.kind, plan.mode)
    if plan.kind == "drop" and plan.mode == "before":
        if faults.drop_connection(request.META):
            return dropped_response()
        return error(500, "internal_error", "Injected fault (connection drop not possible on this server)")
    if plan.kind == "stall" and plan.mode == "before":
        faults.stall(plan)
        return error(500, "internal_error", "Injected fault: stalled before processing")
    if plan.kind == "error":
        return error(500, "internal_error", "Injected fault")

    response = decline(cfg["decline_code"]) if cfg.get("decline_code") else process()

    if plan.kind == "stall" and plan.mode == "after":
        faults.stall(plan)
    elif plan.kind == "drop" and plan.mode == "after" and faults.drop_connection(request.META):
        return dropped_response()
    return response
