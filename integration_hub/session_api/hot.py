"""The game page's hot routes, answered before Django's URL resolver, middleware stack and DRF.

``POST …/sessions/<id>/bet``, ``GET …/state``, ``GET …/balance``, ``POST …/cash-out/preview`` and
``POST …/cash-out`` are the requests a player's page makes many times a minute. Django's request handling and
DRF's (negotiation, parsers, authentication and permission classes, the exception handler, the renderer) cost a
bet more CPU than the wallet call it makes, so these routes are served here: the session key checked
(``authentication.session_for_key``), the session checked open, the body parsed (``core.money.loads_decimal``)
and validated (``SessionApiInput.parse``), one operation of ``games/services.py`` run and its result shaped
(``Output.represent``), errors rendered by ``core.api.exceptions.render_error``, and Django's security and
frame headers added by Django's own middleware classes. The bytes are the ones DRF answered
(``tests/integration_hub/session_api/test_hot_routes.py`` compares them).

Two entry points, one implementation:
- ``HotRoutes`` wraps the WSGI application (``config/wsgi.py``): what gunicorn serves;
- ``HotRoutesMiddleware``, first in ``MIDDLEWARE``: the same answer under Django's own handlers (``runserver``,
  the test client, the live test server).
A request these routes do not answer in full (``OPTIONS``, ``HEAD``, a body that is not JSON, an ``Accept``
that is not JSON, ``?format=``, a body over Django's upload limit) goes on to Django, where the DRF views of
``views.py`` answer it: they call the same operations below, and drf-spectacular reads them for the schema.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.log import log_response

from catalog.models import Game
from core.api.exceptions import http_status, render_error
from core.api.renderers import dumps_exact
from core.errors import AUTH_FAILED_MESSAGE, INTERNAL_ERROR_MESSAGE, ApplicationError
from core.money import loads_decimal
from games import services as play
from wallet import services as wallet_services
from wallet.models import GameSession

from . import serializers
from .authentication import session_for_key

logger = logging.getLogger(__name__)
request_logger = logging.getLogger("django.request")

ROUTE = re.compile(r"/igsp/v1/sessions/(?P<session_id>[^/]+)/(?P<op>bet|state|balance|cash-out/preview|cash-out)\Z")
AUTHENTICATE = 'X-Casino-Key realm="session"'

Answer = tuple[int, Any]  # status, body


# ------------------------------------------------------------- operations --
# Each takes the authenticated, open session and (for a POST) the parsed body; the DRF views call the same ones.


def bet(session: GameSession, data: Any) -> Answer:
    """``POST …/bet``: the body the session's game takes, debited through the partner's wallet."""
    context = {"currency": session.currency}
    slug = session.game.slug
    if slug == Game.PREDICTION_MARKETS:
        placed = play.bet_market(session=session, **serializers.MarketBetInput.parse(data))
        return 201, serializers.MarketBetPlacedOutput.represent(placed, context)
    if slug == Game.TRADERHERO_JACKPOT:
        played = play.bet_jackpot(session=session, **serializers.JackpotBetInput.parse(data))
        return 201, serializers.JackpotBetPlacedOutput.represent(played, context)
    raise ApplicationError("This game takes no bets.", code="invalid_request")


def state(session: GameSession, data: Any = None) -> Answer:
    """``GET …/state``: the launch page's bootstrap (session, player, balance, game config, markets/rounds)."""
    return 200, serializers.SessionStateOutput.represent(play.state(session=session), {"currency": session.currency})


def balance(session: GameSession, data: Any = None) -> Answer:
    """``GET …/balance``: live from the partner's wallet (ours for demo sessions); 502 when unreachable."""
    amount = wallet_services.session_balance(session=session)
    return 200, serializers.BalanceOutput.represent(amount, {"currency": session.currency})


def cash_out_preview(session: GameSession, data: Any) -> Answer:
    """``POST …/cash-out/preview`` ``{betId}``: the value selling back would pay; no money moves."""
    preview = play.cash_out_preview(session=session, **serializers.CashOutPreviewInput.parse(data))
    return 200, serializers.CashOutPreviewOutput.represent(preview, {"currency": session.currency})


def cash_out(session: GameSession, data: Any) -> Answer:
    """``POST …/cash-out`` ``{betId, minValue?}``: sells the position back; the win goes out through the hooks."""
    sold = play.cash_out(session=session, **serializers.CashOutInput.parse(data))
    return 200, serializers.CashedOutOutput.represent(sold, {"currency": session.currency})


# op → (method, handler, Allow header as DRF sends it)
OPERATIONS: dict[str, tuple[str, Callable[[GameSession, Any], Answer], str]] = {
    "bet": ("POST", bet, "POST, OPTIONS"),
    "state": ("GET", state, "GET, HEAD, OPTIONS"),
    "balance": ("GET", balance, "GET, HEAD, OPTIONS"),
    "cash-out/preview": ("POST", cash_out_preview, "POST, OPTIONS"),
    "cash-out": ("POST", cash_out, "POST, OPTIONS"),
}


# ------------------------------------------------------------------ serving --


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def takes(meta: dict[str, Any]) -> re.Match[str] | None:
    """The route's match when these routes answer this request in full; None sends it on to Django."""
    match = ROUTE.match(meta.get("PATH_INFO", ""))
    if match is None or meta.get("REQUEST_METHOD") not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        return None
    accept = meta.get("HTTP_ACCEPT")
    if accept and not any(
        _media_type(part) in ("application/json", "*/*", "application/*") for part in accept.split(",")
    ):
        return None  # DRF's negotiation answers 406
    if "format=" in meta.get("QUERY_STRING", ""):
        return None
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length and (
        _media_type(meta.get("CONTENT_TYPE", "")) != "application/json" or length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    ):
        return None  # DRF answers 415 / Django 400
    return match


def _error(status: int, message: str, code: str | None = None) -> Answer:
    return status, render_error("igsp", status, message, code)


def _answer(request: HttpRequest, match: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
    """Status, body and extra headers, in the order DRF checks: the key (401), the method (405), the session
    (404/410/403), the body (400), then the operation."""
    method, handler, allow = OPERATIONS[match["op"]]
    headers = {"Allow": allow}
    session = session_for_key(match["session_id"], request.META.get("HTTP_X_CASINO_KEY"))
    if session is None:
        headers["WWW-Authenticate"] = AUTHENTICATE
        return (*_error(401, AUTH_FAILED_MESSAGE, "unauthorized"), headers)
    if request.method != method:
        return (*_error(405, f'Method "{request.method}" not allowed.', "method_not_allowed"), headers)
    if str(session.pk) != match["session_id"]:  # the same UUID written otherwise (capitals, no hyphens)
        return (*_error(404, "Session not found.", "not_found"), headers)
    try:
        wallet_services.session_check_open(session)  # 403 suspended partner, 410 closed or expired
        data: Any = None
        if method == "POST":
            raw = request.body
            try:
                data = loads_decimal(raw.decode("utf-8")) if raw else {}
            except (ValueError, UnicodeDecodeError):
                return (*_error(400, "Request body is not valid JSON.", "invalid_request"), headers)
            except RecursionError:
                return (*_error(400, "Request body is nested too deeply.", "invalid_request"), headers)
        status, body = handler(session, data)
    except ApplicationError as exc:
        if exc.retry_after:
            headers["Retry-After"] = str(exc.retry_after)
        status = http_status(exc)
        return status, render_error("igsp", status, exc.message, exc.code, exc.details, exc.extra), headers
    return status, body, headers


_security = SecurityMiddleware(lambda request: HttpResponse())
_frames = XFrameOptionsMiddleware(lambda request: HttpResponse())


def respond(request: HttpRequest, match: re.Match[str]) -> HttpResponse:
    """The route's whole answer, with the headers Django's security and frame middleware add."""
    redirect = _security.process_request(request)  # SECURE_SSL_REDIRECT
    if redirect is not None:
        return _security.process_response(request, redirect)
    try:
        status, body, headers = _answer(request, match)
    except Exception:
        logger.exception("Unhandled error in %s %s", request.method, request.path)
        status, body = 500, render_error("igsp", 500, INTERNAL_ERROR_MESSAGE)
        headers = {"Allow": OPERATIONS[match["op"]][2]}
    content = dumps_exact(body)
    headers["Content-Length"] = str(len(content))  # as CommonMiddleware adds it
    response = HttpResponse(content, status=status, content_type="application/json", headers=headers)
    if status >= 400:
        log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
    return _security.process_response(request, _frames.process_response(request, response))


class HotRoutesMiddleware:
    """Under Django's handlers: these routes answered here, before the rest of ``MIDDLEWARE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = takes(request.META)
        if match is None:
            return self.get_response(request)
        return respond(request, match)


class HotRoutes:
    """The WSGI application with these routes answered before Django's handler (``config/wsgi.py``)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        match = takes(environ)
        if match is None:
            return self.app(environ, start_response)
        # As Django's WSGIHandler: request_started (old connections closed, after-response hooks armed) before,
        # request_finished when the server closes the response (HttpResponse.close).
        signals.request_started.send(sender=self.__class__, environ=environ)
        request = WSGIRequest(environ)
        response = respond(request, match)
        response._resource_closers.append(request.close)  # noqa: SLF001 - as Django's WSGIHandler closes the request
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return response


def installed() -> bool:
    return f"{__name__}.HotRoutesMiddleware" in settings.MIDDLEWARE
