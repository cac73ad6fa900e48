"""The hub's own OpenAPI document (drf-spectacular, served at /api/schema/): what each operation takes, what it
answers on success and on error (in that protocol's own error shape), and how it is authenticated.

The protocol views are plain ``APIView``s that validate with serializers inside the handler, so drf-spectacular
cannot guess their bodies. The ``extend_schema`` annotations live here, applied to the views through
``OpenApiViewExtension`` (drf-spectacular's documented way to annotate a view from outside its module), so the
views stay thin and the schema stays in one place. tests/hub/test_schemathesis.py fuzzes every operation
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
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view

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
    },
    {
        "markets": {"type": "array", "items": MARKET},
        "positions": {"type": "array", "items": POSITION},
        "limits": {"type": "object"},
        "jackpot": {"type": "object"},
        "rounds": {"type": "array", "items": JACKPOT_ROUND},
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

SESSION_ID = OpenApiParameter(
    "session_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The session's id (the `gsID`, or the id in the launch URL).",
)
BET_ID = OpenApiParameter("bet_id", OpenApiTypes.STR, OpenApiParameter.PATH)
IGSP_TAG, SESSION_TAG, CORE_TAG = ["IGSP provider API"], ["IGSP Session API"], ["Core API"]


def _annotations() -> dict[str, dict[str, dict]]:
    """view class path → HTTP method → extend_schema arguments."""
    from core.api.pagination import CursorParams
    from integration_hub.igsp import views as igsp
    from integration_hub.public_api import views as core
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
