"""Public API partner side: the Integration Adapter endpoints (integration-adapter-api.yaml).

Base URL ``/t/<slug>/adapter``: ``GET /balance?sessionID=…``, ``POST /bet``,
``POST /win``, ``POST /refund``. ``X-REQUEST-SIGN`` is the HMAC-SHA256 (hex) with
the Integration API key of the raw POST body exactly as received, or of the
query parameters as canonical JSON for GET. Amounts are decimal strings.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core import signing

from . import faults, money, selectors, services
from .http import guarded, json_response, run_with_faults
from .models import Protocol

CODES = {
    "game_not_found",
    "currency_not_supported",
    "locale_not_supported",
    "account_blocked",
    "bet_limit",
    "loss_limit",
    "time_limit",
    "insufficient_funds",
    "session_expired",
    "session_not_found",
    "client_connection_error",
}
DECLINE_MESSAGES = {
    "insufficient_funds": "Insufficient funds",
    "bet_limit": "Bet limit reached",
    "loss_limit": "Loss limit reached",
    "time_limit": "Time limit reached",
    "account_blocked": "Account blocked",
    "session_expired": "Session expired",
    "session_not_found": "Session not found",
}
REFRESH_CODES = {"session_expired", "session_not_found"}


def error_body(message: str, *, code: str | None = None, details: str | None = None, action: str | None = None) -> dict:
    body: dict = {"message": message}
    if details:
        body["details"] = details
    if code:
        body["code"] = code
    if action:
        body["action"] = action
    return body


def error_response(status: int, code: str, message: str) -> HttpResponse:
    """``ErrorResponseWithCodeAndAction``; ``code`` only when it is one of the contract's codes."""
    body = error_body(
        message,
        code=code if code in CODES else None,
        details=None if code in CODES else code,
        action="refresh" if code in REFRESH_CODES else None,
    )
    return json_response(status, money.dumps(body))


def render(outcome: services.Outcome) -> tuple[int, str]:
    if outcome.kind == "ok" and outcome.balance is not None:  # an ok outcome always has the balance
        return 200, money.dumps(
            {"balance": money.to_str(outcome.balance, outcome.places), "txID": outcome.partner_tx_id}
        )
    if outcome.kind == "insufficient_funds":
        return 400, money.dumps(error_body("Insufficient funds", code="insufficient_funds"))
    if outcome.kind == "bet_refunded":
        return 400, money.dumps(
            error_body("Bet was already refunded", details="a refund for this txID was processed before the bet")
        )
    if outcome.kind == "tx_conflict":
        return 400, money.dumps(error_body("Duplicate transaction", details="txID already used for another action"))
    raise ValueError(f"unknown outcome {outcome.kind}")


def authenticate(request: HttpRequest, tenant, canonical: bytes) -> str | None:
    keys = [k for k in [tenant.integration_api_key, *(tenant.integration_previous_keys or [])] if k]
    if not keys:
        return "Integration API key not configured"
    try:
        signing.public_verify(keys, canonical, request.headers.get("X-REQUEST-SIGN", ""))
    except signing.SignatureError:
        return "Invalid signature"
    return None


class BadRequest(ValueError):
    pass


def _uuid(payload: dict, name: str, required: bool = True) -> str:
    value = payload.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name} is required and must be a UUID string")
    try:
        uuid.UUID(value)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a UUID") from exc
    if len(value) != 36:
        raise BadRequest(f"{name} must be a UUID in its canonical form")
    return value


def _session_id(value) -> str:
    if not isinstance(value, str) or not value or len(value) > services.ID_MAX:
        raise BadRequest("sessionID is required and must be a non-empty string")
    return value


def _tenant_or_404(slug: str):
    return selectors.tenant_get(slug=slug)


def _session(tenant, session_id: str):
    session = services.session_resolve(tenant=tenant, session_id=session_id)
    if session is None:
        return None, error_response(404, "session_not_found", "Session not found")
    return session, None


@csrf_exempt
@require_GET
@guarded(error_response)
def balance(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    if tenant is None:
        return error_response(404, "not_found", "Unknown sandbox tenant")
    cfg = faults.settings_for(tenant.faults, "balance")
    faults.sleep_latency(cfg)
    params = request.GET.dict()
    reason = authenticate(request, tenant, signing.canonical_query(params))
    if reason and not cfg.get("ignore_signature"):
        return error_response(401, "unauthorized", reason)
    try:
        session_id = _session_id(params.get("sessionID"))
    except BadRequest as exc:
        return error_response(400, "bad_request", str(exc))

    def process() -> HttpResponse:
        session, problem = _session(tenant, session_id)
        if problem:
            return problem
        account = services.account_ensure(tenant=tenant, player_id=session.player_id, currency=session.currency)
        places = money.precision_for(tenant.currency_precision, account.currency)
        return json_response(200, money.dumps({"balance": money.to_str(account.balance, places)}))

    return run_with_faults(
        request,
        tenant=tenant,
        action="balance",
        cfg=cfg,
        error=error_response,
        decline=lambda code: error_response(400, code, DECLINE_MESSAGES.get(code, "Declined")),
        process=process,
    )


def _money_view(action: str):
    @csrf_exempt
    @require_POST
    @guarded(error_response)
    def view(request: HttpRequest, slug: str) -> HttpResponse:
        tenant = _tenant_or_404(slug)
        if tenant is None:
            return error_response(404, "not_found", "Unknown sandbox tenant")
        cfg = faults.settings_for(tenant.faults, action)
        faults.sleep_latency(cfg)
        raw = request.body
        reason = authenticate(request, tenant, raw)
        if reason and not cfg.get("ignore_signature"):
            return error_response(401, "unauthorized", reason)
        try:
            payload = money.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return error_response(400, "bad_request", "Request body is not valid JSON")
        try:
            if not isinstance(payload, dict):
                raise BadRequest("Body must be a JSON object")
            session_id = _session_id(payload.get("sessionID"))
            tx_id = _uuid(payload, "txID")
            if action == "refund":
                kind = ""
                round_id = _uuid(payload, "roundID", required=False)
                ref_tx_id = _uuid(payload, "origTxID")
                if ref_tx_id == tx_id:
                    raise BadRequest("origTxID must differ from txID")
            else:
                kind = payload.get("type") or ""
                if kind not in ("regular", "free"):
                    raise BadRequest("type must be one of ['regular', 'free']")
                round_id = _uuid(payload, "roundID")
                ref_tx_id = ""
            fr_id = payload.get("frID")
            if fr_id is not None and (not isinstance(fr_id, str) or len(fr_id) > services.ID_MAX):
                raise BadRequest("frID must be a string")
            if not isinstance(payload.get("amount"), str) or not money.PUBLIC_AMOUNT_RE.fullmatch(payload["amount"]):
                raise BadRequest("amount must be a decimal string matching ^(0|[1-9]\\d*)(\\.\\d+)?$")
        except BadRequest as exc:
            return error_response(400, "bad_request", str(exc))

        def decline(code: str) -> HttpResponse:
            return error_response(400, code, DECLINE_MESSAGES.get(code, "Declined"))

        def process() -> HttpResponse:
            session, problem = _session(tenant, session_id)
            if problem:
                return problem
            places = money.precision_for(tenant.currency_precision, session.currency)
            try:
                raw_amount = payload["amount"]
                if cfg.get("round_amounts"):
                    raw_amount = format(faults.rounded(Decimal(raw_amount), cfg), "f")
                amount = money.parse_public_amount(raw_amount, places)
            except money.AmountError as exc:
                return error_response(400, "bad_request", f"amount {exc}")
            reply = services.wallet_apply(
                tenant=tenant,
                request=services.WalletRequest(
                    protocol=Protocol.PUBLIC,
                    action=action,
                    tx_id=tx_id,
                    player_id=session.player_id,
                    currency=session.currency,
                    amount=amount,
                    kind=kind,
                    free=kind == "free",
                    session_id=session_id,
                    round_id=round_id,
                    fr_id=fr_id or "",
                    ref_tx_id=ref_tx_id,
                ),
                render=render,
            )
            return json_response(reply.status, reply.body)

        return run_with_faults(
            request, tenant=tenant, action=action, cfg=cfg, error=error_response, decline=decline, process=process
        )

    view.__name__ = f"adapter_{action}"
    return view


bet = _money_view("bet")
win = _money_view("win")
refund = _money_view("refund")
