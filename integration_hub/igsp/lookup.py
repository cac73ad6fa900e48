"""IGSP partner lookups (HMAC-signed, snake_case, the provider API's cursor pages): round details links,
the transaction lookup, the reconciliation report and session termination.

Thin views: authenticate (IGSP HMAC; a signed GET signs the empty body + X-Timestamp), validate the query or
body, call one selector or service scoped by the signing partner, serialize. Another partner's ids answer 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import StrictCharField
from core.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from core.api.throttling import LookupThrottle, ReportThrottle
from core.errors import NotFound
from games import history
from integration_hub.reports import FormatParamIsOurs, reconciliation_response, transactions_page
from wallet import reconciliation
from wallet import selectors as wallet_selectors
from wallet import services as wallet_services
from wallet.models import Protocol, Transaction, TxStatus
from wallet.round_links import round_details_link

from .views import HmacView, body_object, iso_utc


def round_not_found() -> NotFound:
    return NotFound("Round not found.", code="round_not_found")


class RoundDetailsView(HmacView):
    """``GET /igsp/v1/rounds/{round_id}``: a short-lived signed link to the round's details page, and its summary."""

    throttle_classes = [LookupThrottle]

    def get(self, request: Request, round_id: str) -> Response:
        rnd = wallet_selectors.round_for_partner(partner=request.user.partner, round_id=round_id)
        if rnd is None:
            raise round_not_found()
        details = history.round_details(rnd=rnd)
        link = round_details_link(rnd.pk)
        return Response(
            {
                "round_id": details["roundId"],
                "url": link.url,
                "expires_at": iso_utc(link.expires_at),
                "game_id": details["game"]["id"],
                "player_id": details["playerId"],
                "session_id": details["partnerSessionId"],
                "status": details["status"],
                "outcome": details["outcome"],
                "currency": details["currency"],
                "stake": details["stake"],
                "payout": details["payout"],
                "transactions": [igsp_transaction(t) for t in rnd.transactions.order_by("created_at", "pk")],
            }
        )


def igsp_transaction(tx: Transaction) -> dict:
    from wallet import currency as money

    session = tx.session
    return {
        "transaction_id": str(tx.pk),
        "partner_transaction_id": tx.partner_tx_id or None,
        "action": tx.kind,
        "type": tx.tx_type,
        "amount": money.money_str(tx.amount, tx.currency),
        "currency": tx.currency,
        "status": tx.status,
        "round_id": str(tx.round_id),
        "bet_transaction_id": str(tx.refunds_id) if tx.refunds_id else None,
        "player_id": session.player_id,
        "session_id": session.partner_session_ref or None,
        "game_id": str(session.game_id),
        "is_demo": session.is_demo,
        "created_at": iso_utc(tx.created_at),
        "confirmed_at": iso_utc(tx.confirmed_at),
    }


class TransactionsQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=500)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    since = serializers.DateTimeField(
        required=False,
        help_text="Created at or after (UTC ISO-8601). since/until span at most 31 days (HUB_LOOKUP_MAX_RANGE_DAYS; "
        "400 `range_too_large` beyond); without since, the 31 days before until. A look-up by transaction or round id "
        "without since/until is not bounded.",
    )
    until = serializers.DateTimeField(required=False, help_text="Created before (UTC ISO-8601); default: now.")
    player_id = StrictCharField(required=False, max_length=200)
    round_id = serializers.UUIDField(required=False, help_text="Our round id (`round_id` of the wallet calls).")
    transaction_id = StrictCharField(
        required=False, max_length=200, help_text="Our `transaction_id`, or your own id that your wallet answered."
    )
    status = serializers.ChoiceField(choices=TxStatus.values, required=False)


class TransactionsView(HmacView):
    """``GET /igsp/v1/transactions``: the partner's transactions, oldest first, in cursor pages."""

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
            player_id=q.get("player_id"),
            round_id=q.get("round_id"),
            transaction_id=q.get("transaction_id"),
            status=q.get("status"),
        )
        return Response({"data": [igsp_transaction(t) for t in rows], "cursor": cursor, "meta": meta})


def igsp_reconciliation_json(day: date, rows: list[reconciliation.ReconciliationRow]) -> dict:
    return {
        "date": day.isoformat(),
        "currencies": [
            dict(zip(reconciliation.COLUMNS[3:], reconciliation.row_values(r)[3:], strict=True)) for r in rows
        ],
    }


class ReconciliationView(HmacView):
    """``GET /igsp/v1/reconciliation?date=YYYY-MM-DD[&format=csv]``: bets, wins, refunds and GGR per currency."""

    throttle_classes = [ReportThrottle]

    content_negotiation_class = FormatParamIsOurs

    def get(self, request: Request) -> Response | HttpResponse:
        return reconciliation_response(request, igsp_reconciliation_json)


class IgspTerminateBody(serializers.Serializer):
    player_id = StrictCharField(required=False, max_length=200)
    session_id = StrictCharField(required=False, max_length=200, help_text="Your `session_id` of the session.")
    reason = StrictCharField(required=False, max_length=500, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("player_id") and not attrs.get("session_id"):
            raise serializers.ValidationError("One of player_id or session_id is required.")
        return attrs


class SessionsTerminateView(HmacView):
    """``POST /igsp/v1/sessions/terminate``: close a player's open IGSP sessions (or one session); the game page's
    next call answers 410 ``session_closed``. Sessions the partner opened through the Public API are not touched."""

    def post(self, request: Request) -> Response:
        body = IgspTerminateBody(data=body_object(request))
        body.is_valid(raise_exception=True)
        b = body.validated_data
        closed = wallet_services.sessions_terminate(
            partner=request.user.partner,
            actor=f"partner:{request.user.partner.slug}",
            player_id=b.get("player_id"),
            session_ref=b.get("session_id"),
            protocol=Protocol.IGSP,  # a Public API casino's user of the same id is someone else
            reason=b.get("reason", ""),
        )
        return Response(
            {
                "terminated": len(closed),
                "sessions": [
                    {
                        "session_id": s.partner_session_ref or None,
                        "game_session_id": str(s.pk),
                        "player_id": s.player_id,
                    }
                    for s in closed
                ],
            }
        )
