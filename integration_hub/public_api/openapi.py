"""The Core API's (Public API's) OpenAPI document: its security scheme, shapes and operations (the adapter
calls, free rounds, the lookups, the certification runs), in the Core API error shape. The building blocks are
in ``integration_hub/openapi.py``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from integration_hub import certification_api as cert
from integration_hub.openapi import (
    BOOL,
    CERT_DOCUMENT,
    CERT_INTRO,
    CERT_RUN,
    CERT_TAG,
    DEC,
    EXAMPLE_ROUND,
    EXAMPLE_TX,
    INT,
    NSTR,
    NUM,
    ONCE,
    RECON_CSV,
    RECON_FIELDS,
    ROUND_SUMMARY,
    RUN_ID,
    STR,
    STRS,
    annotate,
    api_key_scheme,
    camel,
    obj,
    public_errors,
    reconciliation,
)
from integration_hub.public_api import lookup as core_lookup
from integration_hub.public_api import views as core

api_key_scheme(
    "integration_hub.public_api.authentication.PublicApiSignatureAuthentication",
    "requestSign",
    "X-REQUEST-SIGN",
    "hex HMAC-SHA256(API key, RFC 8785 canonical JSON of the body; for GET, of the "
    "query parameters as a flat JSON object of strings).",
)


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
CORE_ROUND_LINK = obj(
    {
        "roundID": STR,
        "url": STR,
        "expiresAt": STR,
        "gameID": STR,
        "userID": STR,
        "sessionID": NSTR,
        "gsID": STR,
        **ROUND_SUMMARY,
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
CORE_RECON = reconciliation([camel(n) for n in RECON_FIELDS])
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
CORE_TAG = ["Core API"]


annotate(
    {
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
                                    "roundID": EXAMPLE_ROUND,
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
                                            "txID": EXAMPLE_TX,
                                            "partnerTxID": "w-1001",
                                            "action": "bet",
                                            "type": "regular",
                                            "amount": "5.00",
                                            "currency": "USD",
                                            "status": "confirmed",
                                            "roundID": EXAMPLE_ROUND,
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
    }
)
