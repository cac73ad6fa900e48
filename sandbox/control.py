"""Control API of the sandbox partner, for tests, demos, chaos runs and benchmarks.

Plain JSON, no request signing: bind the sandbox to loopback. When the
environment variable ``HUB_SANDBOX_CONTROL_TOKEN`` is set (or the setting of
the same name), every control call must carry it in ``X-Sandbox-Token``.
Errors: ``{"error": code, "message": text}``.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core import signing

from . import faults, money, selectors, services
from .http import guarded, json_response
from .models import SandboxAccount

SESSION_KEYS = {"player_id", "playerId", "currency", "balance"}


def error_response(status: int, code: str, message: str) -> HttpResponse:
    return json_response(status, json.dumps({"error": code, "message": message}))


def _default(value):
    if isinstance(value, Decimal):
        return format(value, "f")  # money in control answers is a decimal string
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def ok(data, status: int = 200) -> HttpResponse:
    """Control answers: money as decimal strings; fault knobs (rates, seconds) as plain numbers."""
    return json_response(status, json.dumps(data, default=_default))


def _control_token() -> str:
    # The environment is read per call too: a test or a chaos run may set it after the settings loaded.
    return settings.HUB_SANDBOX_CONTROL_TOKEN or os.environ.get("HUB_SANDBOX_CONTROL_TOKEN", "")


def control_view(methods: list[str]):
    """csrf-exempt, method-restricted, token-checked, never an HTML 500."""

    def decorator(view):
        @guarded(error_response)
        def checked(request: HttpRequest, *args, **kwargs):
            token = _control_token()
            if token and not signing.constant_time_equals(request.headers.get("X-Sandbox-Token", ""), token):
                return error_response(401, "unauthorized", "Missing or wrong X-Sandbox-Token")
            return view(request, *args, **kwargs)

        checked.__name__ = view.__name__
        return csrf_exempt(require_http_methods(methods)(checked))

    return decorator


def _body(request: HttpRequest) -> dict:
    if not request.body:
        return {}
    payload = money.loads(request.body)
    if not isinstance(payload, dict):
        raise services.SandboxValidationError("body must be a JSON object")
    return payload


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _tenant(slug: str):
    tenant = selectors.tenant_get(slug=slug)
    if tenant is None:
        return None, error_response(404, "not_found", f"Unknown sandbox tenant {slug!r}")
    return tenant, None


def _invalid(exc: Exception) -> HttpResponse:
    if isinstance(exc, (ValueError, UnicodeDecodeError)) and not isinstance(exc, services.SandboxValidationError):
        return error_response(400, "invalid_json", "Request body is not valid JSON")
    return error_response(400, "invalid_request", str(exc))


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return error_response(404, "not_found", "No such sandbox endpoint")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return json_response(200, json.dumps({"status": "ok", "service": "sandbox"}))


@control_view(["GET", "PUT", "DELETE"])
def tenant(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method == "PUT":
        try:
            obj, created = services.tenant_upsert(slug=slug, data=_body(request))
        except (services.SandboxValidationError, ValueError, UnicodeDecodeError) as exc:
            return _invalid(exc)
        return ok(selectors.tenant_view(tenant=obj, base_url=_base_url(request)), status=201 if created else 200)
    obj, problem = _tenant(slug)
    if problem:
        return problem
    if request.method == "DELETE":
        obj.delete()
        return HttpResponse(status=204)
    return ok(selectors.tenant_view(tenant=obj, base_url=_base_url(request)))


@control_view(["GET", "PUT"])
def tenant_faults(request: HttpRequest, slug: str) -> HttpResponse:
    obj, problem = _tenant(slug)
    if problem:
        return problem
    if request.method == "PUT":
        try:
            body = _body(request)
            seed = body.pop("seed", None)
            if set(body) == {"faults"}:  # the GET shape {"faults": {...}, "seed": n} can be PUT back
                body = body["faults"]
            obj = services.tenant_faults_replace(tenant=obj, fault_settings=body, seed=seed)
        except (services.SandboxValidationError, ValueError, UnicodeDecodeError) as exc:
            return _invalid(exc)
    return ok({"faults": faults.normalize(obj.faults or {}), "seed": obj.fault_seed})


@control_view(["GET", "PUT"])
def account(request: HttpRequest, slug: str, player_id: str, currency: str) -> HttpResponse:
    obj, problem = _tenant(slug)
    if problem:
        return problem
    if request.method == "PUT":
        try:
            body = _body(request)
            if set(body) - {"balance"} or "balance" not in body:
                raise services.SandboxValidationError('body must be {"balance": "<decimal>"}')
            acct = services.account_set_balance(
                tenant=obj, player_id=player_id, currency=currency, balance=body["balance"]
            )
        except (services.SandboxValidationError, ValueError, UnicodeDecodeError) as exc:
            return _invalid(exc)
        return ok(selectors.account_view(tenant=obj, account=acct))
    found = selectors.account_get(tenant=obj, player_id=player_id, currency=currency)
    if found is None:
        return error_response(404, "not_found", "Unknown account")
    return ok(selectors.account_view(tenant=obj, account=found))


@control_view(["GET", "PUT"])
def session(request: HttpRequest, slug: str, session_id: str) -> HttpResponse:
    obj, problem = _tenant(slug)
    if problem:
        return problem
    acct: SandboxAccount | None
    if request.method == "PUT":
        try:
            body = _body(request)
            unknown = set(body) - SESSION_KEYS
            if unknown:
                raise services.SandboxValidationError(f"unknown fields {sorted(unknown)}")
            player_id = body.get("player_id", body.get("playerId"))
            if player_id is None or "currency" not in body:
                raise services.SandboxValidationError('body must be {"player_id", "currency", "balance"?}')
            sess, acct = services.session_register(
                tenant=obj,
                session_id=session_id,
                player_id=player_id,
                currency=body["currency"],
                balance=body.get("balance"),
            )
        except (services.SandboxValidationError, ValueError, UnicodeDecodeError) as exc:
            return _invalid(exc)
    else:
        found = selectors.session_get(tenant=obj, session_id=session_id)
        if found is None:
            return error_response(404, "not_found", "Unknown session")
        sess = found
        acct = selectors.account_get(tenant=obj, player_id=sess.player_id, currency=sess.currency)
    data = selectors.session_view(session=sess)
    data["balance"] = selectors.account_view(tenant=obj, account=acct)["balance"] if acct else None
    return ok(data)


@control_view(["GET", "DELETE"])
def ledger(request: HttpRequest, slug: str) -> HttpResponse:
    obj, problem = _tenant(slug)
    if problem:
        return problem
    if request.method == "DELETE":
        services.tenant_ledger_reset(tenant=obj)
        return HttpResponse(status=204)
    return ok(selectors.ledger(tenant=obj, player_id=request.GET.get("player_id")))
