"""The IGSP Session API's OpenAPI document (the game page's calls): its security scheme, the answers' shapes and
the operations, in the IGSP error shape. The building blocks are in ``integration_hub/openapi.py``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from integration_hub.openapi import BOOL, DEC, INT, NDEC, NSTR, NUM, STR, annotate, api_key_scheme, igsp_errors, obj
from integration_hub.session_api import serializers

api_key_scheme(
    "integration_hub.session_api.authentication.SessionKeyAuthentication",
    "casinoKey",
    "X-Casino-Key",
    "The session token issued with the launch URL (`igsp_…`).",
)


def answer(
    output: type[serializers.Output],
    optional: tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
    /,
    **types: dict[str, Any],
) -> dict[str, Any]:
    """The schema of ``output``'s answers: the fields the serializer declares, in its order, typed by ``types``
    (which must name exactly those fields: a field renamed, added or dropped there fails here, at start-up), then
    ``extra``, the fields its ``represent`` adds; ``optional`` are those an answer may leave out. The first three
    are positional only, so that any wire name can be a field of ``types``."""
    declared = [name for name, field in output(context={}).fields.items() if not field.write_only]
    if list(types) != declared:
        raise TypeError(f"{output.__name__}: the schema names {list(types)}, the serializer {declared}")
    required = {name: shape for name, shape in types.items() if name not in optional}
    return obj(required, {**{name: types[name] for name in optional}, **(extra or {})})


MARKET = answer(
    serializers.MarketOutput,
    ("outcome",),
    id=STR,
    title=STR,
    yesPrice=DEC,
    noPrice=DEC,
    status=STR,
    closeAt=STR,
    outcome=NSTR,
)
POSITION = answer(
    serializers.PositionOutput,
    betId=STR,
    marketId=STR,
    outcome=STR,
    stake=NDEC,
    shares=DEC,
    status=STR,
    payout=NDEC,
    cashOutValue=NDEC,
    roundId=STR,
)
JACKPOT_ROUND = answer(
    serializers.JackpotRoundOutput,
    serializers.JackpotRoundOutput.SETTLED_ONLY,
    betId=STR,
    roundId=STR,
    direction=STR,
    stake=NDEC,
    status=STR,
    serverSeedHash=STR,
    clientSeed=NSTR,
    nonce=INT,
    rtp=DEC,
    settleAt=STR,
    serverSeed=STR,
    payout=NDEC,
    tier=NSTR,
    multiplier=DEC,
    path={"type": "array", "nullable": True},
)
SESSION_STATE = answer(
    serializers.SessionStateOutput,
    serializers.SessionStateOutput.Meta.optional,
    {
        "freeRounds": {
            **obj({"id": STR, "extID": STR, "granted": INT, "used": INT, "remaining": INT, "betAmount": DEC}),
            "nullable": True,
            "description": "TraderHero: the free-rounds campaign this session plays now (Core API free rounds), "
            "with the rounds left; null when none.",
        },
    },
    session=answer(
        serializers.SessionInfoOutput,
        id=STR,
        status=STR,
        protocol=STR,
        isDemo=BOOL,
        device=STR,
        language=STR,
        returnUrl=NSTR,
        depositUrl=NSTR,
        expiresAt=STR,
    ),
    player=answer(serializers.PlayerOutput, id=STR, name=STR),
    currency=STR,
    balance=NDEC,
    balanceStale=BOOL,
    game=answer(serializers.GameOutput, id=STR, slug=STR, name=STR, rtp=DEC),
    config={
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
    markets={"type": "array", "items": MARKET},
    positions={"type": "array", "items": POSITION},
    limits={"type": "object"},
    jackpot={"type": "object"},
    rounds={"type": "array", "items": JACKPOT_ROUND},
)
BALANCE = answer(serializers.BalanceOutput, balance=DEC, currency=STR)
BET_PLACED = {
    "oneOf": [
        answer(
            serializers.MarketBetPlacedOutput,
            betId=STR,
            marketId=STR,
            outcome=STR,
            amount=DEC,
            shares=DEC,
            transactionId=STR,
            roundId=STR,
            balance=NDEC,
            market=MARKET,
        ),
        {
            "allOf": [
                JACKPOT_ROUND,
                answer(serializers.JackpotBetPlacedOutput, transactionId=STR, balance=NDEC, freeRound=BOOL),
            ]
        },
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
CASH_OUT_PREVIEW = answer(
    serializers.CashOutPreviewOutput,
    betId=STR,
    cashOutValue=NDEC,
    margin=DEC,
    originalStake=NDEC,
    currentOdds=DEC,
    currentPrice=DEC,
    shares=DEC,
    currency=STR,
)
CASHED_OUT = answer(
    serializers.CashedOutOutput,
    betId=STR,
    cashOutValue=NDEC,
    transactionId=STR,
    status=STR,
    delivery=STR,
    balance=NDEC,
)


SESSION_ID = OpenApiParameter(
    "session_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The session's id (the `gsID`, or the id in the launch URL).",
)
BET_ID = OpenApiParameter("bet_id", OpenApiTypes.STR, OpenApiParameter.PATH)
SESSION_TAG = ["IGSP Session API"]


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


annotate(
    {
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
    }
)
