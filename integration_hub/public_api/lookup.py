"""Core API partner lookups (X-REQUEST-SIGN; a GET signs its query as a flat JSON object of strings, like
``GET /games``; camelCase bodies, ``{message, details?, code?}`` errors): round details links, the transaction
lookup, the reconciliation report, free rounds status and session termination.

Thin views over selectors and services scoped by the partner the signature (and the ``cID``) resolved; another
partner's ids answer 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import StrictCharField
from core.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from core.api.throttling import LookupThrottle, ReportThrottle
from core.errors import NotFound
from freerounds import selectors as free_rounds
from games import history
from integration_hub.reports import FormatParamIsOurs, reconciliation_response, transactions_page
from wallet import currency as money
from wallet import reconciliation
from wallet import selectors as wallet_selectors
from wallet.models import Transaction, TxStatus
from wallet.round_links import round_details_link

from . import services as core_services
from .base import CoreApiView, body_object
from .once import OnceBody, request_once


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt is not None else None


def core_transaction(tx: Transaction) -> dict:
    session = tx.session
    return {
        "txID": str(tx.pk),
        "partnerTxID": tx.partner_tx_id or None,
        "action": tx.kind,
        "type": tx.tx_type,
        "amount": money.money_str(tx.amount, tx.currency),
        "currency": tx.currency,
        "status": tx.status,
        "roundID": str(tx.round_id),
        "betTxID": str(tx.refunds_id) if tx.refunds_id else None,
        "frID": tx.free_rounds_id or None,
        "userID": session.player_id,
        "sessionID": session.partner_session_ref or None,
        "gsID": str(session.pk),
        "extCID": session.ext_client.ext_cid if session.ext_client_id else None,
        "gameID": str(session.game_id),
        "demo": session.is_demo,
        "createdAt": _iso(tx.created_at),
        "confirmedAt": _iso(tx.confirmed_at),
    }


class RoundsQuery(serializers.Serializer):
    cID = serializers.UUIDField()
    roundID = serializers.UUIDField(help_text="Our round id (`roundID` of the reverse calls).")


class RoundsView(CoreApiView):
    """``GET /api/v1/rounds?cID&roundID``: a short-lived signed link to the round's details page, and its summary."""

    throttle_classes = [LookupThrottle]

    def get(self, request: Request) -> Response:
        query = RoundsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rnd = wallet_selectors.round_for_partner(partner=request.user.partner, round_id=query.validated_data["roundID"])
        if rnd is None:
            raise NotFound("Round not found.", code="round_not_found")
        d = history.round_details(rnd=rnd)
        link = round_details_link(rnd.pk)
        return Response(
            {
                "roundID": d["roundId"],
                "url": link.url,
                "expiresAt": _iso(link.expires_at),
                "gameID": d["game"]["id"],
                "userID": d["playerId"],
                "sessionID": d["partnerSessionId"],
                "gsID": d["sessionId"],
                "status": d["status"],
                "outcome": d["outcome"],
                "currency": d["currency"],
                "stake": d["stake"],
                "payout": d["payout"],
                "transactions": [
                    core_transaction(t)
                    for t in rnd.transactions.select_related("session__ext_client").order_by("created_at", "pk")
                ],
            }
        )


class TransactionsQuery(serializers.Serializer):
    cID = serializers.UUIDField()
    cursor = serializers.CharField(required=False, max_length=500)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    since = serializers.DateTimeField(
        required=False,
        help_text="Created at or after (UTC ISO-8601). since/until span at most 31 days (HUB_LOOKUP_MAX_RANGE_DAYS; "
        "400 `range_too_large` beyond); without since, the 31 days before until. A look-up by transaction or round id "
        "without since/until is not bounded.",
    )
    until = serializers.DateTimeField(required=False, help_text="Created before (UTC ISO-8601); default: now.")
    userID = StrictCharField(required=False, max_length=200)
    roundID = serializers.UUIDField(required=False)
    txID = StrictCharField(required=False, max_length=200, help_text="Our `txID`, or the `txID` your wallet answered.")
    status = serializers.ChoiceField(choices=TxStatus.values, required=False)


class TransactionsView(CoreApiView):
    """``GET /api/v1/transactions``: the partner's transactions, oldest first, in cursor pages (``nextCursor``)."""

    throttle_classes = [LookupThrottle]

    def get(self, request: Request) -> Response:
        query = TransactionsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        rows, cursor, meta = transactions_page(
            request.user.partner,
            cursor=q.get("cursor"),
            limit=q["limit"],
            since=q.get("since"),
            until=q.get("until"),
            player_id=q.get("userID"),
            round_id=q.get("roundID"),
            transaction_id=q.get("txID"),
            status=q.get("status"),
        )
        return Response(
            {
                "transactions": [core_transaction(t) for t in rows],
                "nextCursor": cursor["next"],
                "previousCursor": cursor["previous"],
                "hasMore": meta["has_more"],
            }
        )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def core_reconciliation_json(day: date, rows: list[reconciliation.ReconciliationRow]) -> dict:
    return {
        "date": day.isoformat(),
        "currencies": [
            {_camel(k): v for k, v in zip(reconciliation.COLUMNS[3:], reconciliation.row_values(r)[3:], strict=True)}
            for r in rows
        ],
    }


class ReconciliationQuery(serializers.Serializer):
    cID = serializers.UUIDField()
    date = serializers.DateField()
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")


class ReconciliationView(CoreApiView):
    """``GET /api/v1/reconciliation?cID&date[&format=csv]``: bets, wins, refunds and GGR per currency."""

    throttle_classes = [ReportThrottle]

    content_negotiation_class = FormatParamIsOurs

    def get(self, request: Request) -> Response | HttpResponse:
        ReconciliationQuery(data=request.query_params).is_valid(raise_exception=True)
        return reconciliation_response(request, core_reconciliation_json)


class FreeRoundsQuery(serializers.Serializer):
    cID = serializers.UUIDField()
    extCID = StrictCharField(required=False, max_length=100)
    id = serializers.UUIDField(required=False, help_text="The campaign's id (answered by POST /free-rounds).")
    extID = StrictCharField(required=False, max_length=200)
    userID = StrictCharField(required=False, max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("id") or attrs.get("extID") or attrs.get("userID")):
            raise serializers.ValidationError("One of id, extID or userID must be provided.")
        return attrs


def free_rounds_status(request: Request) -> Response:
    query = FreeRoundsQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    q, partner = query.validated_data, request.user.partner
    campaign = None
    if q.get("id") or q.get("extID"):
        campaign = free_rounds.campaign_for_partner(partner=partner, campaign_id=q.get("id"), ext_id=q.get("extID"))
        if campaign is None:
            raise NotFound("Free rounds campaign not found.", code="free_rounds_not_found")
    lines = free_rounds.free_rounds_status(
        partner=partner, ext_cid=q.get("extCID"), campaign=campaign, player_id=q.get("userID")
    )
    return Response(
        {
            "freeRounds": [
                {
                    "id": str(line.campaign.pk),
                    "extID": line.campaign.ext_id,
                    "extCID": line.campaign.ext_client.ext_cid,
                    "userID": line.player_id,
                    "campaignStatus": line.campaign.status,
                    "currency": line.campaign.currency,
                    "betAmount": money.money_str(line.campaign.bet_amount, line.campaign.currency),
                    "granted": line.granted,
                    "used": line.used,
                    "remaining": line.remaining,
                    "winnings": money.money_str(line.winnings, line.campaign.currency),
                    "finished": line.finished,
                    "bonusTxID": str(line.bonus_transaction) if line.bonus_transaction else None,
                    "validFrom": _iso(line.campaign.valid_from),
                    "validUntil": _iso(line.campaign.valid_until),
                }
                for line in lines
            ]
        }
    )


class CoreTerminateBody(OnceBody):
    cID = serializers.UUIDField()
    extCID = StrictCharField(
        required=False,
        max_length=100,
        help_text="The casino whose sessions to close: required when your cID has more than one ExtCID "
        "(400 otherwise), optional when it has one. Only that ExtCID's sessions are closed.",
    )
    userID = StrictCharField(required=False, max_length=200)
    sessionID = StrictCharField(required=False, max_length=200, help_text="Your sessionID of the game(s).")
    gsID = serializers.UUIDField(required=False, help_text="Our game session id (answered by create-new-game).")
    reason = StrictCharField(required=False, max_length=500, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("userID") or attrs.get("sessionID") or attrs.get("gsID")):
            raise serializers.ValidationError("One of userID, sessionID or gsID must be provided.")
        return attrs


class TerminateSessionsView(CoreApiView):
    """``POST /api/v1/terminate-sessions``: close a player's open game sessions (or one) at one of the partner's
    casinos (``extCID``); the game page's next call answers 410 ``session_closed``. Acts once: ``requestId`` and
    ``timestamp`` (``once.py``)."""

    def post(self, request: Request) -> Response:
        body = CoreTerminateBody(data=body_object(request))
        body.is_valid(raise_exception=True)
        request_once(partner=request.user.partner, validated=body.validated_data)
        closed = core_services.sessions_terminate(partner=request.user.partner, data=body.validated_data)
        return Response(
            {
                "terminated": len(closed),
                "sessions": [
                    {"gsID": str(s.pk), "sessionID": s.partner_session_ref or None, "userID": s.player_id}
                    for s in closed
                ],
            }
        )
