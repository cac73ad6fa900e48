"""Session API views: one ``APIView`` per operation of /igsp/v1/sessions/<id>/…, for every session (IGSP, Public
API, demo). The game page's hot routes (bet, state, balance, cash-out, its preview) are answered before Django by
``hot.py``, with the same checks and the same operations; their views here answer only what ``hot.py`` passes on
(``OPTIONS``, ``HEAD``, bodies that are not JSON) and describe the routes to the schema.

Each view authenticates the session token (``authentication.py``), has the base view check the session (the id
in the path, open, its partner not suspended: 404, 410, 403 on every route), validates its body with an input
serializer (``serializers.py``), calls one function of ``games/services.py`` and shapes its domain result with an
output serializer (``serializers.py``) in the shapes ``integration_hub/session_api/openapi.py`` documents
(``SESSION_STATE``, ``BALANCE``, ``BET_PLACED``, ``POSITION`` / ``JACKPOT_ROUND``, ``CASH_OUT_PREVIEW``,
``CASHED_OUT``): money as decimal strings at the currency's precision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError
from games import services as play
from wallet import services as wallet_services
from wallet.models import GameSession

from . import hot, serializers
from .authentication import IsGameSession, SessionKeyAuthentication

if TYPE_CHECKING:
    from rest_framework.request import Request


class SessionApiView(APIView):
    """Authenticates the session token and checks the session once, before any handler runs."""

    error_style = "igsp"
    authentication_classes = [SessionKeyAuthentication]
    permission_classes = [IsGameSession]
    game_session: GameSession

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        if method == "options" or not hasattr(self, method):  # OPTIONS and 405 answer as for any view
            return
        session = request.user.session
        if str(session.pk) != str(kwargs.get("session_id")):
            raise ApplicationError("Session not found.", code="not_found", status_code=404)
        wallet_services.session_check_open(session)  # 403 suspended partner, 410 closed or expired
        self.game_session = session

    def answer(self, output: type[serializers.Output], result: Any, status_code: int = status.HTTP_200_OK) -> Response:
        """``result`` (a domain value) shaped by the ``output`` serializer; money in the session's currency."""
        return Response(output.represent(result, {"currency": self.game_session.currency}), status=status_code)


class HotRouteView(SessionApiView):
    """A route ``hot.py`` answers before Django; this view answers what it passes on (``OPTIONS``, ``HEAD``, bodies
    that are not JSON…) with the same operation, and describes the route to the schema."""

    operation: str

    def run(self, request: Request) -> Response:
        data = request.data if request.method == "POST" else None
        status_code, body = hot.OPERATIONS[self.operation][1](self.game_session, data)
        return Response(body, status=status_code)


class SessionStateView(HotRouteView):
    """``GET …/state``: the launch page's bootstrap (session, player, balance, game config, markets/rounds)."""

    operation = "state"

    def get(self, request: Request, session_id: str) -> Response:
        return self.run(request)


class SessionBalanceView(HotRouteView):
    """``GET …/balance``: live from the partner's wallet (ours for demo sessions); 502 when unreachable."""

    operation = "balance"

    def get(self, request: Request, session_id: str) -> Response:
        return self.run(request)


class SessionBetView(HotRouteView):
    """``POST …/bet``: the body the session's game takes, debited through the partner's wallet."""

    operation = "bet"

    def post(self, request: Request, session_id: str) -> Response:
        return self.run(request)


class SessionBetDetailView(SessionApiView):
    """``GET …/bets/<betId>``: one of the session's bets."""

    def get(self, request: Request, session_id: str, bet_id: str) -> Response:
        bet = play.bet_get(session=self.game_session, bet_id=bet_id)
        if isinstance(bet, play.PositionQuote):
            return self.answer(serializers.PositionOutput, bet)
        return self.answer(serializers.JackpotRoundOutput, bet)


class CashOutPreviewView(HotRouteView):
    """``POST …/cash-out/preview`` ``{betId}``: the value selling back would pay; no money moves."""

    operation = "cash-out/preview"

    def post(self, request: Request, session_id: str) -> Response:
        return self.run(request)


class CashOutView(HotRouteView):
    """``POST …/cash-out`` ``{betId, minValue?}``: sells the position back; the win goes out through the hooks."""

    operation = "cash-out"

    def post(self, request: Request, session_id: str) -> Response:
        return self.run(request)
