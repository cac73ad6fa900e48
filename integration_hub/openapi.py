"""The hub's own OpenAPI document (drf-spectacular, served at /api/schema/): what each operation takes, what it
answers on success and on error (in that protocol's own error shape), and how it is authenticated.

The protocol views are plain ``APIView``s that validate with serializers inside the handler, so drf-spectacular
cannot guess their bodies. The ``extend_schema`` annotations live here, applied to the views through
``OpenApiViewExtension`` (drf-spectacular's documented way to annotate a view from outside its module), so the
views stay thin and the schema stays in one place. tests/integration_hub/test_schemathesis.py fuzzes every operation
against this document: every response must conform to it.

Imported by ``IntegrationHubConfig.ready`` (extensions register themselves when their class is created).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view

# ------------------------------------------------------------- security --


def _api_key_scheme(target: str, name: str, header: str, description: str = "") -> None:
    """Registers the security scheme ``name`` (an API key in ``header``) for the authentication class ``target``."""
    definition = {
        "type": "apiKey",
        "in": "header",
        "name": header,
        **({"description": description} if description else {}),
    }

    def get_security_definition(self: OpenApiAuthenticationExtension, auto_schema: AutoSchema) -> dict[str, str]:
        return dict(definition)

    type(
        f"_Scheme_{name}",
        (OpenApiAuthenticationExtension,),
        {
            "target_class": target,
            "name": name,
            "get_security_definition": get_security_definition,
            "__module__": __name__,
        },
    )


_api_key_scheme(
    "integration_hub.igsp.authentication.IgspHmacAuthentication",
    "igspHmac",
    "X-Signature",
    "IGSP HMAC: `Authorization: Bearer <igspApiKey>`, `X-Timestamp` (UTC ISO-8601, "
    "±5 min) and `X-Signature` = hex HMAC-SHA256(secret, raw body + X-Timestamp).",
)
_api_key_scheme(
    "integration_hub.public_api.authentication.PublicApiSignatureAuthentication",
    "requestSign",
    "X-REQUEST-SIGN",
    "hex HMAC-SHA256(API key, RFC 8785 canonical JSON of the body; for GET, of the "
    "query parameters as a flat JSON object of strings).",
)
_api_key_scheme(
    "integration_hub.session_api.authentication.SessionKeyAuthentication",
    "casinoKey",
    "X-Casino-Key",
    "The session token issued with the launch URL (`igsp_…`).",
)
_api_key_scheme("core.api.authentication.AdminKeyAuthentication", "adminKey", "X-Admin-Key")


class _Money(OpenApiSerializerFieldExtension):
    """IGSP amounts: a JSON number or a decimal string, never negative (parsed as Decimal)."""

    target_class = "integration_hub.igsp.views.MoneyField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        return {
            "oneOf": [
                {"type": "number", "minimum": 0, "maximum": 9999999999999999},
                {"type": "string", "pattern": r"^\d{1,16}(\.\d{1,8})?$"},
            ]
        }


class _RequestTimestamp(OpenApiSerializerFieldExtension):
    """The Core API extensions' ``timestamp``: Unix seconds or an ISO-8601 date-time with an offset."""

    target_class = "integration_hub.public_api.once.RequestTimestampField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        return {
            "oneOf": [
                {"type": "integer", "description": "Unix seconds (UTC)", "example": 1796648400},
                {
                    "type": "string",
                    "format": "date-time",
                    "description": "ISO-8601 with a UTC offset",
                    "example": "2026-12-07T13:00:00Z",
                },
            ],
            "description": self.target.help_text,
        }


class _NonBlankChar(OpenApiSerializerFieldExtension):
    """DRF's CharField trims whitespace and refuses a blank string unless ``allow_blank``: say so
    (drf-spectacular writes ``minLength`` only for an explicit ``min_length``)."""

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if schema.get("type") == "string" and not self.target.allow_blank and direction == "request":
            schema.setdefault("minLength", 1)
            if self.target.trim_whitespace and "pattern" not in schema:
                schema["pattern"] = r"\S"
        return schema


# --------------------------------------------------------------- shapes --

STR = {"type": "string"}
NSTR = {"type": "string", "nullable": True}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NUM = {"type": "number"}
DEC = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}  # an amount or ratio written as a decimal string
NDEC = {**DEC, "nullable": True}
STRS = {"type": "array", "items": STR}


def obj(required: dict, optional: dict | None = None) -> dict:
    """An object with these required properties (more are allowed: clients must ignore unknown fields)."""
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


IGSP_ERROR = obj({"error": STR, "message": STR, "status": INT}, {"details": STR})
PUBLIC_ERROR = obj(
    {"message": STR},
    {
        "details": STR,
        "code": {
            "type": "string",
            "enum": ["game_not_found", "currency_not_supported", "locale_not_supported", "account_blocked"],
        },
    },
)

_REASONS = {
    400: "Invalid request",
    401: "Missing or invalid credentials or signature",
    403: "Not allowed (IP allowlist, blocked account)",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "Session expired or closed",
    415: "Unsupported media type",
    429: "Too many requests",
    502: "Partner wallet unreachable",
    503: "Unavailable for a moment: retry after Retry-After seconds",
}


def errors(shape: dict, *codes: int) -> dict:
    return {code: OpenApiResponse(response=shape, description=_REASONS[code]) for code in codes}


def igsp_errors(*codes: int) -> dict:
    return errors(IGSP_ERROR, 400, 401, 403, 405, 406, 415, 429, *codes)


def public_errors(*codes: int) -> dict:
    return errors(PUBLIC_ERROR, 400, 401, 403, 405, 406, 415, 429, *codes)


def page_of(item: dict) -> dict:
    return obj(
        {
            "data": {"type": "array", "items": item},
            "cursor": obj({"next": NSTR, "previous": NSTR}),
            "meta": obj({"limit": INT, "returned": INT, "has_more": BOOL}),
        }
    )


PROVIDER = obj(
    {
        "id": STR,
        "name": STR,
        "currencies": STRS,
        "restricted_countries": STRS,
        "images": {"type": "array", "items": {"type": "object"}},
        "min_age": {**INT, "nullable": True},
        "min_kyc_level": {"nullable": True},
        "updated_at": NSTR,
    }
)
IGSP_GAME = obj(
    {
        "id": STR,
        "provider_id": STR,
        "name": STR,
        "slug": STR,
        "rtp": {"nullable": True},
        "status": STR,
        "updated_at": NSTR,
        "deleted_at": NSTR,
        "categories": STRS,
        "currencies": STRS,
        "platforms": STRS,
    }
)
LAUNCH = obj({"url": STR})
HOOK_RESULT = obj({"status": STR, "reconciled": BOOL, "mismatch": BOOL, "session_id": NSTR})

MARKET = obj(
    {"id": STR, "title": STR, "yesPrice": DEC, "noPrice": DEC, "status": STR, "closeAt": STR}, {"outcome": NSTR}
)
POSITION = obj(
    {
        "betId": STR,
        "marketId": STR,
        "outcome": STR,
        "stake": NDEC,
        "shares": DEC,
        "status": STR,
        "payout": NDEC,
        "cashOutValue": NDEC,
        "roundId": STR,
    }
)
JACKPOT_ROUND = obj(
    {
        "betId": STR,
        "roundId": STR,
        "direction": STR,
        "stake": NDEC,
        "status": STR,
        "serverSeedHash": STR,
        "clientSeed": NSTR,
        "nonce": INT,
        "rtp": DEC,
        "settleAt": STR,
    },
    {"serverSeed": STR, "payout": NDEC, "tier": NSTR, "multiplier": DEC, "path": {"type": "array", "nullable": True}},
)
SESSION_STATE = obj(
    {
        "session": obj(
            {
                "id": STR,
                "status": STR,
                "protocol": STR,
                "isDemo": BOOL,
                "device": STR,
                "language": STR,
                "returnUrl": NSTR,
                "depositUrl": NSTR,
                "expiresAt": STR,
            }
        ),
        "player": obj({"id": STR, "name": STR}),
        "currency": STR,
        "balance": NDEC,
        "balanceStale": BOOL,
        "game": obj({"id": STR, "slug": STR, "name": STR, "rtp": DEC}),
        "config": {
            **obj(
                {
                    "partner": {**NSTR, "description": "The partner's name (null for a partner-less demo session)."},
                    "depositUrl": {**NSTR, "description": "Where the Deposit button goes (null: no button)."},
                    "lobbyUrl": {**NSTR, "description": "Where the Lobby button goes: the session's return URL."},
                    "locale": {**STR, "description": "The session's locale as advertised by GET /games (`pt_br`)."},
                    "language": {**STR, "description": "The language the game page speaks (`pt-br`, `en`)."},
                    "currency": obj(
                        {"code": STR, "symbol": STR, "decimals": {**INT, "description": "Decimals on the wire."}}
                    ),
                    "limits": obj({"minStake": DEC, "maxStake": DEC, "cashOutsPerDay": INT}),
                }
            ),
            "description": "The partner config the game page needs (additive to the session state).",
        },
    },
    {
        "markets": {"type": "array", "items": MARKET},
        "positions": {"type": "array", "items": POSITION},
        "limits": {"type": "object"},
        "jackpot": {"type": "object"},
        "rounds": {"type": "array", "items": JACKPOT_ROUND},
        "freeRounds": {
            **obj({"id": STR, "extID": STR, "granted": INT, "used": INT, "remaining": INT, "betAmount": DEC}),
            "nullable": True,
            "description": "TraderHero: the free-rounds campaign this session plays now (Core API free rounds), "
            "with the rounds left; null when none.",
        },
    },
)
BALANCE = obj({"balance": DEC, "currency": STR})
BET_PLACED = {
    "oneOf": [
        obj(
            {
                "betId": STR,
                "marketId": STR,
                "outcome": STR,
                "amount": DEC,
                "shares": DEC,
                "transactionId": STR,
                "roundId": STR,
                "balance": NDEC,
                "market": MARKET,
            }
        ),
        {"allOf": [JACKPOT_ROUND, obj({"transactionId": STR, "balance": NDEC, "freeRound": BOOL})]},
    ]
}
BET_BODY = {
    "type": "object",
    "description": "Prediction markets: `marketId`, `outcome` (YES|NO), `amount`. "
    "TraderHero: `direction` (up|down), `amount`, optional `clientSeed`.",
    "properties": {
        "marketId": STR,
        "outcome": {"type": "string", "enum": ["YES", "NO"]},
        "direction": {"type": "string", "enum": ["up", "down"]},
        "amount": {"oneOf": [DEC, NUM]},
        "clientSeed": STR,
    },
}
CASH_OUT_BODY = obj({"betId": STR}, {"minValue": {"oneOf": [DEC, NUM]}})
CASH_OUT_PREVIEW = obj(
    {
        "betId": STR,
        "cashOutValue": NDEC,
        "margin": DEC,
        "originalStake": NDEC,
        "currentOdds": DEC,
        "currentPrice": DEC,
        "shares": DEC,
        "currency": STR,
    }
)
CASHED_OUT = obj(
    {"betId": STR, "cashOutValue": NDEC, "transactionId": STR, "status": STR, "delivery": STR, "balance": NDEC}
)

CREATED_GAME = obj({"gameURL": STR, "gsID": STR})
GAME_INFO = obj(
    {
        "title": STR,
        "id": STR,
        "locales": STRS,
        "currencies": STRS,
        "images": {"type": "object"},
        "platforms": STRS,
        "hasFreeSpins": BOOL,
        "rtp": NUM,
    },
    {"betLines": {"type": "array", "items": {"type": "object"}}},
)
FREE_ROUNDS_CREATED = obj({"id": STR, "extID": STR})
REGISTERED = obj(
    {"partnerId": STR, "name": STR, "slug": STR, "status": STR, "integrationMode": STR},
    {
        "igspApiKey": STR,
        "igspSecretKey": STR,
        "igspHooksUrl": STR,
        "cID": STR,
        "apiKey": STR,
        "integrationApiKey": STR,
        "extCIDs": {"type": "array", "items": obj({"extCID": STR, "baseUrl": STR})},
    },
)


# ---------------------------------------------------- lookups (issue 16, section 1) --

IGSP_TX = obj(
    {
        "transaction_id": STR,
        "partner_transaction_id": NSTR,
        "action": {"type": "string", "enum": ["bet", "win", "refund"]},
        "type": STR,
        "amount": DEC,
        "currency": STR,
        "status": {"type": "string", "enum": ["pending", "confirmed", "declined", "resolved"]},
        "round_id": STR,
        "bet_transaction_id": NSTR,
        "player_id": STR,
        "session_id": NSTR,
        "game_id": STR,
        "is_demo": BOOL,
        "created_at": STR,
        "confirmed_at": NSTR,
    }
)
CORE_TX = obj(
    {
        "txID": STR,
        "partnerTxID": NSTR,
        "action": {"type": "string", "enum": ["bet", "win", "refund"]},
        "type": STR,
        "amount": DEC,
        "currency": STR,
        "status": {"type": "string", "enum": ["pending", "confirmed", "declined", "resolved"]},
        "roundID": STR,
        "betTxID": NSTR,
        "frID": NSTR,
        "userID": STR,
        "sessionID": NSTR,
        "gsID": STR,
        "extCID": {**NSTR, "description": "The ExtCID (casino) of the game session; null for a session without one."},
        "gameID": STR,
        "demo": BOOL,
        "createdAt": STR,
        "confirmedAt": NSTR,
    }
)
_ROUND_SUMMARY = {"status": STR, "outcome": STR, "currency": STR, "stake": NDEC, "payout": NDEC}
IGSP_ROUND_LINK = obj(
    {
        "round_id": STR,
        "url": STR,
        "expires_at": STR,
        "game_id": STR,
        "player_id": STR,
        "session_id": NSTR,
        **_ROUND_SUMMARY,
        "transactions": {"type": "array", "items": IGSP_TX},
    }
)
CORE_ROUND_LINK = obj(
    {
        "roundID": STR,
        "url": STR,
        "expiresAt": STR,
        "gameID": STR,
        "userID": STR,
        "sessionID": NSTR,
        "gsID": STR,
        **_ROUND_SUMMARY,
        "transactions": {"type": "array", "items": CORE_TX},
    }
)
CORE_TX_PAGE = obj(
    {
        "transactions": {"type": "array", "items": CORE_TX},
        "nextCursor": NSTR,
        "previousCursor": NSTR,
        "hasMore": BOOL,
    }
)
_RECON_IGSP = [
    "currency",
    "bets_count",
    "bets_sum",
    "wins_count",
    "wins_sum",
    "refunds_count",
    "refunds_sum",
    "ggr",
    "void_refunds_count",
    "void_refunds_sum",
]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _recon(names: list[str]) -> dict:
    row = obj({n: (STR if n == "currency" or n.endswith("count") else DEC) for n in names})
    return obj({"date": STR, "currencies": {"type": "array", "items": row}})


IGSP_RECON = _recon(_RECON_IGSP)
CORE_RECON = _recon([_camel(n) for n in _RECON_IGSP])
RECON_CSV = {
    "type": "string",
    "description": "The admin's CSV: partner_id, partner_slug, date, currency, bets_count, bets_sum, wins_count, "
    "wins_sum, refunds_count, refunds_sum, ggr, void_refunds_count, void_refunds_sum.",
}
IGSP_TERMINATED = obj(
    {
        "terminated": INT,
        "sessions": {
            "type": "array",
            "items": obj({"session_id": NSTR, "game_session_id": STR, "player_id": STR}),
        },
    }
)
CORE_TERMINATED = obj(
    {"terminated": INT, "sessions": {"type": "array", "items": obj({"gsID": STR, "sessionID": NSTR, "userID": STR})}}
)
FREE_ROUNDS_STATUS = obj(
    {
        "freeRounds": {
            "type": "array",
            "items": obj(
                {
                    "id": STR,
                    "extID": STR,
                    "extCID": STR,
                    "userID": NSTR,
                    "campaignStatus": STR,
                    "currency": STR,
                    "betAmount": DEC,
                    "granted": INT,
                    "used": INT,
                    "remaining": INT,
                    "winnings": DEC,
                    "finished": BOOL,
                    "bonusTxID": NSTR,
                    "validFrom": STR,
                    "validUntil": NSTR,
                }
            ),
        }
    }
)
ROUND_ID = OpenApiParameter(
    "round_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Our round id (`round_id` of the wallet calls)."
)
_EXAMPLE_ROUND = "7d0f1c62-3b8e-4a5e-9d6c-2f1e0a9b8c7d"
_EXAMPLE_TX = "0b6c3a55-9f0e-4a1d-8f7e-5b4c3d2e1f00"

SESSION_ID = OpenApiParameter(
    "session_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The session's id (the `gsID`, or the id in the launch URL).",
)
BET_ID = OpenApiParameter("bet_id", OpenApiTypes.STR, OpenApiParameter.PATH)
IGSP_TAG, SESSION_TAG, CORE_TAG = ["IGSP provider API"], ["IGSP Session API"], ["Core API"]


CERT_RUN = obj(
    {
        "id": STR,
        "protocol": {"type": "string", "enum": ["igsp", "public_api"]},
        "status": {"type": "string", "enum": ["queued", "running", "passed", "failed", "error"]},
        "hubVersion": STR,
        "total": INT,
        "done": INT,
        "passed": INT,
        "failed": INT,
        "progressPercent": INT,
        "full": BOOL,
        "currency": STR,
    },
    {"targetUrl": STR, "groups": STRS, "error": NSTR, "startBalance": NSTR, "endBalance": NSTR},
)
CERT_CASE = obj(
    {"id": STR, "group": STR, "title": STR, "passed": BOOL, "expected": STR, "actual": STR},
    {"howToFix": NSTR, "ms": INT, "exchanges": {"type": "array", "items": {"type": "object"}}},
)
CERT_DOCUMENT = {"allOf": [CERT_RUN, obj({"cases": {"type": "array", "items": CERT_CASE}})]}
ONCE = (
    "\n\nActs once. The Core API signs only the body, with no time in it, so this operation (the hub's own "
    "addition to the Core API) also takes, inside the signed body, a `requestId` (a new UUID for every request, "
    "retries included: one already used answers 409 and nothing is done again) and a `timestamp` (Unix seconds or "
    "an ISO-8601 date-time with an offset; more than 300 seconds from the hub's clock either way answers 400). A "
    "request refused with a 400 for these fields does not use up its requestId."
)
CERT_TAG = ["Certification"]
CERT_INTRO = (
    "Runs the certification cases against your own wallet (your hooks URL or ExtCID base URL) with the test player "
    "you name, on a worker; poll the run until its status is passed or failed. Only a passing full run (no groups) "
    "of the hub's current version lets you go live. A run bets and wins real money at your wallet and restores the "
    "test player's balance: once you are live, it may only name a test player your account manager declared for you "
    "(IGSP player_id, Core API sessionID); any other answers 403 (IGSP error not_a_test_player) and starts nothing."
)
RUN_ID = OpenApiParameter("run_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The run's id (a UUID).")


def _annotations() -> dict[str, dict[str, dict]]:
    """view class path → HTTP method → extend_schema arguments."""
    from core.api.pagination import CursorParams
    from integration_hub import certification_api as cert
    from integration_hub.igsp import lookup as igsp_lookup
    from integration_hub.igsp import views as igsp
    from integration_hub.public_api import lookup as core_lookup
    from integration_hub.public_api import views as core
    from integration_hub.reports import ReconciliationQuery
    from tenants.api import PartnerRegisterView

    def igsp_op(**kw: Any) -> dict[str, Any]:
        return {"tags": IGSP_TAG, **kw}

    def session_op(
        ok: int, body: dict[str, Any], request: dict[str, Any] | None = None, extra: tuple[int, ...] = (), **kw: Any
    ) -> dict[str, Any]:
        return {
            "tags": SESSION_TAG,
            "parameters": [SESSION_ID, *kw.pop("parameters", [])],
            "request": {"application/json": request} if request else None,
            "responses": {ok: body, **igsp_errors(404, 410, 502, *extra)},
            **kw,
        }

    return {
        "integration_hub.igsp.views.ProvidersView": {
            "get": igsp_op(
                operation_id="igsp_providers_list",
                parameters=[CursorParams],
                responses={200: page_of(PROVIDER), **igsp_errors()},
            )
        },
        "integration_hub.igsp.views.GamesView": {
            "get": igsp_op(
                operation_id="igsp_games_list",
                parameters=[CursorParams],
                responses={200: page_of(IGSP_GAME), **igsp_errors()},
            )
        },
        "integration_hub.igsp.views.SessionsView": {
            "post": igsp_op(
                operation_id="igsp_sessions_create",
                request=igsp.SessionCreateSerializer,
                responses={201: LAUNCH, **igsp_errors(409, 502)},
            )
        },
        "integration_hub.igsp.views.DemoSessionsView": {
            "post": igsp_op(
                operation_id="igsp_demo_sessions_create",
                request=igsp.SessionCreateSerializer,
                auth=[],
                responses={201: LAUNCH, **igsp_errors()},
            )
        },
        "integration_hub.igsp.views.InboundHooksView": {
            "post": igsp_op(
                operation_id="igsp_hooks_receive",
                request=igsp.InboundHookSerializer,
                responses={200: HOOK_RESULT, **igsp_errors(409)},
            )
        },
        "integration_hub.session_api.views.SessionStateView": {
            "get": session_op(200, SESSION_STATE, operation_id="igsp_session_state")
        },
        "integration_hub.session_api.views.SessionBalanceView": {
            "get": session_op(200, BALANCE, operation_id="igsp_session_balance")
        },
        "integration_hub.session_api.views.SessionBetView": {
            "post": session_op(201, BET_PLACED, BET_BODY, operation_id="igsp_session_bet")
        },
        "integration_hub.session_api.views.SessionBetDetailView": {
            "get": session_op(
                200, {"oneOf": [POSITION, JACKPOT_ROUND]}, parameters=[BET_ID], operation_id="igsp_session_bet_get"
            )
        },
        "integration_hub.session_api.views.CashOutPreviewView": {
            "post": session_op(
                200, CASH_OUT_PREVIEW, CASH_OUT_BODY, extra=(409,), operation_id="igsp_session_cash_out_preview"
            )
        },
        "integration_hub.session_api.views.CashOutView": {
            "post": session_op(200, CASHED_OUT, CASH_OUT_BODY, extra=(409,), operation_id="igsp_session_cash_out")
        },
        "integration_hub.public_api.views.CreateNewGameView": {
            "post": {
                "tags": CORE_TAG,
                "operation_id": "core_create_new_game",
                "request": core.CreateNewGameSerializer,
                "responses": {200: CREATED_GAME, **public_errors(404, 502)},
            }
        },
        "integration_hub.public_api.views.GamesView": {
            "get": {
                "tags": CORE_TAG,
                "operation_id": "core_games_list",
                "parameters": [core.GamesQuerySerializer],
                "responses": {200: {"type": "array", "items": GAME_INFO}, **public_errors(404)},
            }
        },
        "integration_hub.public_api.views.FreeRoundsView": {
            "get": {
                "tags": CORE_TAG,
                "operation_id": "core_free_rounds_status",
                "summary": "Free rounds of a campaign (id or extID) or of a player (userID): granted, used, remaining, won",
                "parameters": [core_lookup.FreeRoundsQuery],
                "responses": {
                    200: OpenApiResponse(
                        FREE_ROUNDS_STATUS,
                        examples=[
                            OpenApiExample(
                                "A player halfway through",
                                value={
                                    "freeRounds": [
                                        {
                                            "id": "9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
                                            "extID": "welcome-10",
                                            "extCID": "brand-one",
                                            "userID": "u-77",
                                            "campaignStatus": "active",
                                            "currency": "USD",
                                            "betAmount": "1.00",
                                            "granted": 10,
                                            "used": 4,
                                            "remaining": 6,
                                            "winnings": "3.50",
                                            "finished": False,
                                            "bonusTxID": None,
                                            "validFrom": "2026-12-01T00:00:00Z",
                                            "validUntil": "2026-12-08T00:00:00Z",
                                        }
                                    ]
                                },
                            )
                        ],
                    ),
                    **public_errors(404),
                },
            },
            "post": {
                "tags": CORE_TAG,
                "operation_id": "core_free_rounds_create",
                "request": core.CreateFreeRoundsSerializer,
                "responses": {200: FREE_ROUNDS_CREATED, **public_errors(404, 409)},
            },
            "delete": {
                "tags": CORE_TAG,
                "operation_id": "core_free_rounds_cancel",
                "request": core.DeleteFreeRoundsSerializer,
                "responses": {200: OpenApiResponse(description="Cancelled"), **public_errors(404, 409)},
            },
        },
        "integration_hub.igsp.lookup.RoundDetailsView": {
            "get": igsp_op(
                operation_id="igsp_round_details",
                summary="Round details: a short-lived signed link to the round's page, and its transactions",
                parameters=[ROUND_ID],
                responses={
                    200: OpenApiResponse(
                        IGSP_ROUND_LINK,
                        examples=[
                            OpenApiExample(
                                "A settled TraderHero round",
                                value={
                                    "round_id": _EXAMPLE_ROUND,
                                    "url": "https://hub.example/rounds/7d0f1c62-…:1vJ2xk:abc…",
                                    "expires_at": "2026-12-02T05:15:00Z",
                                    "game_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                                    "player_id": "player-912",
                                    "session_id": "sess-20250101-0001",
                                    "status": "settled",
                                    "outcome": "won",
                                    "currency": "EUR",
                                    "stake": "1.00",
                                    "payout": "2.00",
                                    "transactions": [],
                                },
                            )
                        ],
                    ),
                    **igsp_errors(404),
                },
            )
        },
        "integration_hub.igsp.lookup.TransactionsView": {
            "get": igsp_op(
                operation_id="igsp_transactions_list",
                summary="Transaction lookup by time range, player, round or transaction id (ours or yours)",
                parameters=[igsp_lookup.TransactionsQuery],
                responses={200: page_of(IGSP_TX), **igsp_errors()},
            )
        },
        "integration_hub.igsp.lookup.ReconciliationView": {
            "get": igsp_op(
                operation_id="igsp_reconciliation",
                summary="Reconciliation totals of a UTC day per currency (JSON, or CSV with format=csv)",
                parameters=[ReconciliationQuery],
                responses={
                    (200, "application/json"): OpenApiResponse(
                        IGSP_RECON,
                        examples=[
                            OpenApiExample(
                                "One currency",
                                value={
                                    "date": "2026-12-01",
                                    "currencies": [
                                        {
                                            "currency": "EUR",
                                            "bets_count": "3",
                                            "bets_sum": "30.00",
                                            "wins_count": "1",
                                            "wins_sum": "20.00",
                                            "refunds_count": "0",
                                            "refunds_sum": "0.00",
                                            "ggr": "10.00",
                                            "void_refunds_count": "0",
                                            "void_refunds_sum": "0.00",
                                        }
                                    ],
                                },
                            )
                        ],
                    ),
                    (200, "text/csv"): RECON_CSV,
                    **igsp_errors(),
                },
            )
        },
        "integration_hub.igsp.lookup.SessionsTerminateView": {
            "post": igsp_op(
                operation_id="igsp_sessions_terminate",
                summary="Close a player's open sessions (responsible gaming, account closure)",
                request=igsp_lookup.IgspTerminateBody,
                examples=[
                    OpenApiExample(
                        "Self-exclusion",
                        value={"player_id": "player-912", "reason": "self-exclusion"},
                        request_only=True,
                    )
                ],
                responses={200: IGSP_TERMINATED, **igsp_errors()},
            )
        },
        "integration_hub.public_api.lookup.RoundsView": {
            "get": {
                "tags": CORE_TAG,
                "operation_id": "core_round_details",
                "summary": "Round details: a short-lived signed link to the round's page, and its transactions",
                "parameters": [core_lookup.RoundsQuery],
                "responses": {
                    200: OpenApiResponse(
                        CORE_ROUND_LINK,
                        examples=[
                            OpenApiExample(
                                "A cashed-out prediction market position",
                                value={
                                    "roundID": _EXAMPLE_ROUND,
                                    "url": "https://hub.example/rounds/7d0f1c62-…:1vJ2xk:abc…",
                                    "expiresAt": "2026-12-02T05:15:00Z",
                                    "gameID": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                                    "userID": "u-77",
                                    "sessionID": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
                                    "gsID": "5a0c2e41-8c3e-4c1f-9d2a-1b2c3d4e5f60",
                                    "status": "settled",
                                    "outcome": "won",
                                    "currency": "USD",
                                    "stake": "5.00",
                                    "payout": "6.12",
                                    "transactions": [],
                                },
                            )
                        ],
                    ),
                    **public_errors(404),
                },
            }
        },
        "integration_hub.public_api.lookup.TransactionsView": {
            "get": {
                "tags": CORE_TAG,
                "operation_id": "core_transactions_list",
                "summary": "Transaction lookup by time range, player, round or transaction id (ours or yours)",
                "parameters": [core_lookup.TransactionsQuery],
                "responses": {
                    200: OpenApiResponse(
                        CORE_TX_PAGE,
                        examples=[
                            OpenApiExample(
                                "One page",
                                value={
                                    "transactions": [
                                        {
                                            "txID": _EXAMPLE_TX,
                                            "partnerTxID": "w-1001",
                                            "action": "bet",
                                            "type": "regular",
                                            "amount": "5.00",
                                            "currency": "USD",
                                            "status": "confirmed",
                                            "roundID": _EXAMPLE_ROUND,
                                            "betTxID": None,
                                            "frID": None,
                                            "userID": "u-77",
                                            "sessionID": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
                                            "gsID": "5a0c2e41-8c3e-4c1f-9d2a-1b2c3d4e5f60",
                                            "extCID": "brand-one",
                                            "gameID": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                                            "demo": False,
                                            "createdAt": "2026-12-01T10:00:00.123456Z",
                                            "confirmedAt": "2026-12-01T10:00:00.234567Z",
                                        }
                                    ],
                                    "nextCursor": "eyJ1IjoiMjAyNi0xMi0wMVQxMDowMDowMC4xMjM0NTYrMDA6MDAiLCJpIjoi…",
                                    "previousCursor": None,
                                    "hasMore": True,
                                },
                            )
                        ],
                    ),
                    **public_errors(),
                },
            }
        },
        "integration_hub.public_api.lookup.ReconciliationView": {
            "get": {
                "tags": CORE_TAG,
                "operation_id": "core_reconciliation",
                "summary": "Reconciliation totals of a UTC day per currency (JSON, or CSV with format=csv)",
                "parameters": [core_lookup.ReconciliationQuery],
                "responses": {
                    (200, "application/json"): CORE_RECON,
                    (200, "text/csv"): RECON_CSV,
                    **public_errors(),
                },
            }
        },
        "integration_hub.public_api.lookup.TerminateSessionsView": {
            "post": {
                "tags": CORE_TAG,
                "operation_id": "core_terminate_sessions",
                "summary": "Close a player's open game sessions (responsible gaming, account closure)",
                "description": (
                    "Closes the open game sessions of a user (`userID`), of your `sessionID`, or one of ours "
                    "(`gsID`) at one of your casinos: `extCID` names it, required when your cID has more than one "
                    "ExtCID (400 otherwise), optional when it has one. Only that ExtCID's sessions close; sessions "
                    "opened through IGSP are closed by the IGSP terminate. The game page's next call answers 410 "
                    "`session_closed`; bets already in flight finish." + ONCE
                ),
                "request": core_lookup.CoreTerminateBody,
                "examples": [
                    OpenApiExample(
                        "Account closure",
                        value={
                            "cID": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
                            "extCID": "casino-7",
                            "userID": "u-77",
                            "reason": "closed",
                            "requestId": "5b0c3d7e-2a41-4f7a-9a55-0f0e7b1c2d3e",
                            "timestamp": 1796648400,
                        },
                        request_only=True,
                    )
                ],
                "responses": {200: CORE_TERMINATED, **public_errors(404, 409)},
            }
        },
        "integration_hub.certification_api.IgspCertificationRunsView": {
            "post": {
                "tags": CERT_TAG,
                "operation_id": "igsp_certification_run_start",
                "description": CERT_INTRO,
                "request": cert.IgspCertifySerializer,
                "responses": {202: CERT_RUN, **igsp_errors(409, 503)},
            }
        },
        "integration_hub.certification_api.IgspCertificationRunView": {
            "get": {
                "tags": CERT_TAG,
                "operation_id": "igsp_certification_run_get",
                "parameters": [RUN_ID],
                "responses": {200: CERT_DOCUMENT, **igsp_errors(404)},
            }
        },
        "integration_hub.certification_api.PublicCertificationRunsView": {
            "post": {
                "tags": CERT_TAG,
                "operation_id": "core_certification_run_start",
                "description": CERT_INTRO + ONCE,
                "request": cert.PublicCertifySerializer,
                "responses": {202: CERT_RUN, **public_errors(404, 409, 503)},
            }
        },
        "integration_hub.certification_api.PublicCertificationRunView": {
            "get": {
                "tags": CERT_TAG,
                "operation_id": "core_certification_run_get",
                "parameters": [
                    RUN_ID,
                    OpenApiParameter("cID", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=True),
                ],
                "responses": {200: CERT_DOCUMENT, **public_errors(404)},
            }
        },
        "tenants.api.PartnerRegisterView": {
            "post": {
                "tags": ["Hub"],
                "operation_id": "partners_register",
                "request": PartnerRegisterView.InputSerializer,
                "responses": {201: REGISTERED, **igsp_errors(409)},
            }
        },
    }


class BodyOnDeleteSchema(AutoSchema):
    """DELETE /api/v1/free-rounds takes a JSON body (core-api.yaml), which drf-spectacular documents for POST,
    PUT and PATCH only: the view's DELETE is described here (``delete`` in the annotations table)."""

    delete: dict = {}

    def _get_request_body(self, direction: str = "request") -> Any:
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"  # the parent documents no body for any other method
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def get_request_serializer(self) -> Any:
        return self.delete["request"]

    def get_response_serializers(self) -> Any:
        return self.delete["responses"] if self.method == "DELETE" else super().get_response_serializers()

    def get_tags(self) -> list[str]:
        return self.delete["tags"] if self.method == "DELETE" else super().get_tags()

    def get_operation_id(self) -> str:
        return self.delete["operation_id"] if self.method == "DELETE" else super().get_operation_id()


def _register() -> None:
    for target, methods in _annotations().items():

        def view_replacement(self: OpenApiViewExtension, _methods: dict[str, Any] = methods) -> Any:
            attrs, _methods = {"__module__": self.target_class.__module__}, dict(_methods)
            if "delete" in _methods:
                attrs["schema"] = type("DeleteSchema", (BodyOnDeleteSchema,), {"delete": _methods.pop("delete")})()
            return extend_schema_view(**{m: extend_schema(**kw) for m, kw in _methods.items()})(
                type(self.target_class.__name__, (self.target_class,), attrs)
            )

        type(
            f"_Schema_{target.rsplit('.', 1)[1]}",
            (OpenApiViewExtension,),
            {"target_class": target, "view_replacement": view_replacement, "__module__": __name__},
        )


_register()
