"""The IGSP provider API's OpenAPI document: its security scheme, shapes and operations (the provider calls,
the lookups, the certification runs), in the IGSP error shape. The building blocks are in
``integration_hub/openapi.py``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from core.api.pagination import CursorParams
from integration_hub import certification_api as cert
from integration_hub.igsp import lookup as igsp_lookup
from integration_hub.igsp import views as igsp
from integration_hub.openapi import (
    BOOL,
    CERT_DOCUMENT,
    CERT_INTRO,
    CERT_RUN,
    CERT_TAG,
    DEC,
    EXAMPLE_ROUND,
    INT,
    NSTR,
    RECON_CSV,
    RECON_FIELDS,
    ROUND_SUMMARY,
    RUN_ID,
    STR,
    STRS,
    annotate,
    api_key_scheme,
    igsp_errors,
    obj,
    page_of,
    reconciliation,
)
from integration_hub.reports import ReconciliationQuery

api_key_scheme(
    "integration_hub.igsp.authentication.IgspHmacAuthentication",
    "igspHmac",
    "X-Signature",
    "IGSP HMAC: `Authorization: Bearer <igspApiKey>`, `X-Timestamp` (UTC ISO-8601, "
    "±5 min) and `X-Signature` = hex HMAC-SHA256(secret, raw body + X-Timestamp).",
)


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
IGSP_ROUND_LINK = obj(
    {
        "round_id": STR,
        "url": STR,
        "expires_at": STR,
        "game_id": STR,
        "player_id": STR,
        "session_id": NSTR,
        **ROUND_SUMMARY,
        "transactions": {"type": "array", "items": IGSP_TX},
    }
)
IGSP_RECON = reconciliation(RECON_FIELDS)
IGSP_TERMINATED = obj(
    {
        "terminated": INT,
        "sessions": {
            "type": "array",
            "items": obj({"session_id": NSTR, "game_session_id": STR, "player_id": STR}),
        },
    }
)
ROUND_ID = OpenApiParameter(
    "round_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Our round id (`round_id` of the wallet calls)."
)
IGSP_TAG = ["IGSP provider API"]


def igsp_op(**kw: Any) -> dict[str, Any]:
    return {"tags": IGSP_TAG, **kw}


annotate(
    {
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
                                    "round_id": EXAMPLE_ROUND,
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
    }
)
