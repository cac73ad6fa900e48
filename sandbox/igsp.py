"""IGSP partner side: the platform's hooks endpoint (igsp-platforms.yaml) that the hub calls.

``POST /t/<slug>/igsp/hooks`` — ``Authorization: Bearer <igsp_api_key>``,
``X-Timestamp``, ``X-Signature = hex(HMAC_SHA256(secret, raw_body + X-Timestamp))``.
Amounts are JSON numbers (parsed as Decimal, rendered with the currency's precision).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core import signing

from . import faults, money, selectors, services
from .http import guarded, json_response, run_with_faults
from .models import Protocol

logger = logging.getLogger("sandbox")

ACTIONS = ("balance", "bet", "win", "refund")
TYPES = {
    "bet": ("bet", "tip", "freespin"),
    "win": ("win", "jackpot", "freespin", "tournament", "prize"),
    "refund": ("bet", "tip", "freespin"),
}
MONEY_REQUIRED = ("action", "player_id", "amount", "currency", "game_id", "transaction_id", "session_id", "type")
REQUIRED = {
    "balance": ("action", "player_id", "currency"),
    "bet": MONEY_REQUIRED,
    "win": MONEY_REQUIRED,
    "refund": (*MONEY_REQUIRED, "bet_transaction_id"),
}
STRING_FIELDS = (
    "player_id",
    "currency",
    "game_id",
    "transaction_id",
    "session_id",
    "type",
    "round_id",
    "bet_transaction_id",
)
# IGSP free spins are paid by the provider: a ``freespin`` stake does not debit the real balance.
FREE_BET_TYPES = ("freespin",)
DECLINE_MESSAGES = {
    "insufficient_funds": "Insufficient funds",
    "bet_limit": "Bet limit reached",
    "loss_limit": "Loss limit reached",
    "time_limit": "Time limit reached",
    "account_blocked": "Account blocked",
}


def error_response(status: int, code: str, message: str) -> HttpResponse:
    return json_response(status, money.dumps({"error": code, "message": message, "status": status}))


def render(outcome: services.Outcome) -> tuple[int, str]:
    if outcome.kind == "ok" and outcome.balance is not None:  # an ok outcome always has the balance
        return 200, money.dumps(
            {
                "balance": money.display(outcome.balance, outcome.places),
                "transaction_id": outcome.partner_tx_id,
            }
        )
    if outcome.kind == "insufficient_funds":
        return 400, money.dumps({"error": "insufficient_funds", "message": "Insufficient funds", "status": 400})
    if outcome.kind == "bet_refunded":
        return 400, money.dumps(
            {"error": "transaction_refunded", "message": "This bet was already refunded", "status": 400}
        )
    if outcome.kind == "tx_conflict":
        return 400, money.dumps(
            {
                "error": "duplicate_transaction",
                "message": "transaction_id was already used for another action",
                "status": 400,
            }
        )
    raise ValueError(f"unknown outcome {outcome.kind}")


class BadRequest(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def authenticate(request: HttpRequest, tenant, raw: bytes) -> str | None:
    """None when the request is signed by the tenant's key pair; else the reason."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return "Missing bearer API key"
    pairs = [(tenant.igsp_api_key, tenant.igsp_secret)] + [
        (c.get("api_key", ""), c.get("secret", "")) for c in tenant.igsp_previous_credentials or []
    ]
    secrets = []
    for api_key, secret in pairs:  # every pair compared, constant time
        if api_key and secret and signing.constant_time_equals(api_key, token):
            secrets.append(secret)
    if not secrets:
        return "Unknown API key"
    try:
        signing.igsp_verify(
            secrets,
            raw,
            request.headers.get("X-Timestamp", ""),
            request.headers.get("X-Signature", ""),
            skew_seconds=settings.HUB_CLOCK_SKEW_SECONDS,
        )
    except signing.SignatureError as exc:
        return {"stale timestamp": "Stale timestamp", "bad timestamp": "Bad or missing X-Timestamp"}.get(
            str(exc), "Invalid signature"
        )
    return None


def validate(payload, tenant, cfg: dict | None = None) -> dict:
    """Check a hook body against igsp-platforms.yaml; returns it with ``amount`` as Decimal."""
    if not isinstance(payload, dict):
        raise BadRequest("invalid_request", "Body must be a JSON object")
    action = payload.get("action")
    if action not in ACTIONS:
        raise BadRequest("unsupported_action", f"action must be one of {list(ACTIONS)}")
    missing = [f for f in REQUIRED[action] if payload.get(f) is None]
    if missing:
        raise BadRequest("invalid_request", f"Missing required field(s): {', '.join(missing)}")
    for name in STRING_FIELDS:
        if name in payload and payload[name] is not None:
            value = payload[name]
            if not isinstance(value, str):
                raise BadRequest("invalid_request", f"{name} must be a string")
            if len(value) > services.ID_MAX:
                raise BadRequest("invalid_request", f"{name} is too long")
            if name in REQUIRED[action] and not value.strip():
                raise BadRequest("invalid_request", f"{name} must not be empty")
    if not money.CURRENCY_RE.fullmatch(payload["currency"]):
        raise BadRequest("invalid_request", "currency must be a currency code")
    if "finished" in payload and payload["finished"] is not None and not isinstance(payload["finished"], bool):
        raise BadRequest("invalid_request", "finished must be a boolean")
    cleaned = dict(payload)
    if action != "balance":
        if payload["type"] not in TYPES[action]:
            raise BadRequest("invalid_request", f"type must be one of {list(TYPES[action])}")
        places = money.precision_for(tenant.currency_precision, payload["currency"])
        try:
            amount = payload["amount"]
            if cfg and cfg.get("round_amounts") and isinstance(amount, (int, Decimal)) and not isinstance(amount, bool):
                amount = faults.rounded(Decimal(amount), cfg)
            cleaned["amount"] = money.parse_json_number(amount, places)
        except money.AmountError as exc:
            raise BadRequest("invalid_request", f"amount {exc}") from exc
        if action == "refund" and payload["bet_transaction_id"] == payload["transaction_id"]:
            raise BadRequest("invalid_request", "bet_transaction_id must differ from transaction_id")
    return cleaned


@csrf_exempt
@require_POST
@guarded(error_response)
def hooks(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = selectors.tenant_get(slug=slug)
    if tenant is None:
        return error_response(404, "not_found", "Unknown sandbox tenant")
    raw = request.body
    try:
        payload = money.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        payload = None
    action = payload.get("action") if isinstance(payload, dict) else None
    cfg = faults.settings_for(tenant.faults, action if action in ACTIONS else None)
    faults.sleep_latency(cfg)

    reason = authenticate(request, tenant, raw)
    if reason and not cfg.get("ignore_signature"):
        return error_response(401, "unauthorized", reason)
    if payload is None:
        return error_response(400, "invalid_json", "Request body is not valid JSON")
    try:
        body = validate(payload, tenant, cfg)
    except BadRequest as exc:
        return error_response(400, exc.code, exc.message)
    action = body["action"]  # validated: one of ACTIONS

    def decline(code: str) -> HttpResponse:
        return error_response(400, code, DECLINE_MESSAGES.get(code, "Declined"))

    def process() -> HttpResponse:
        if (
            tenant.strict_sessions
            and selectors.account_get(tenant=tenant, player_id=body["player_id"], currency=body["currency"]) is None
        ):
            return error_response(400, "player_not_found", "Unknown player")
        if action == "balance":
            account = services.account_ensure(tenant=tenant, player_id=body["player_id"], currency=body["currency"])
            places = money.precision_for(tenant.currency_precision, account.currency)
            return json_response(200, money.dumps({"balance": money.display(account.balance, places)}))
        reply = services.wallet_apply(
            tenant=tenant,
            request=services.WalletRequest(
                protocol=Protocol.IGSP,
                action=action,
                tx_id=body["transaction_id"],
                player_id=body["player_id"],
                currency=body["currency"],
                amount=body["amount"],
                kind=body["type"],
                free=action == "bet" and body["type"] in FREE_BET_TYPES,
                session_id=body.get("session_id") or "",
                game_id=body.get("game_id") or "",
                round_id=body.get("round_id") or "",
                ref_tx_id=body.get("bet_transaction_id") or "",
            ),
            render=render,
        )
        return json_response(reply.status, reply.body)

    return run_with_faults(
        request, tenant=tenant, action=action, cfg=cfg, error=error_response, decline=decline, process=process
    )
