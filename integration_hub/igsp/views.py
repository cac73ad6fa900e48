"""IGSP edge: provider API (HMAC), demo sessions and inbound hooks (the Session API is integration_hub/session_api/).

Thin views: authenticate, validate with a serializer, call one service, serialize.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from core import signing
from core.api.authentication import IsPartner
from core.api.fields import StrictBooleanField, StrictCharField
from core.api.pagination import CursorParams, paginate
from core.errors import ApplicationError
from core.net import client_ip
from games import selectors as game_selectors

from . import services as igsp_services
from .authentication import IgspHmacAuthentication

if TYPE_CHECKING:
    from datetime import datetime

    from rest_framework.request import Request

    from catalog.models import Game

LANGUAGE_RE = re.compile(r"^[a-zA-Z]{2}([-_][a-zA-Z0-9]{2,4})?$")


def iso_utc(dt: datetime | None) -> str | None:
    """A time as the wire writes it: ISO 8601, UTC as ``Z``."""
    if dt is None:
        return None
    return dt.isoformat().replace("+00:00", "Z")


class IgspView(APIView):
    error_style = "igsp"


class HmacView(IgspView):
    authentication_classes = [IgspHmacAuthentication]
    permission_classes = [IsPartner]


# ------------------------------------------------------------ provider API --


class ProvidersView(HmacView):
    def get(self, request: Request) -> Response:
        params = CursorParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        rows, cursor, meta = paginate(
            game_selectors.providers_list(p.get("updated_after")), cursor=p.get("cursor"), limit=p["limit"]
        )
        data = [
            {
                "id": str(row.id),
                "name": row.name,
                "currencies": row.currencies,
                "restricted_countries": row.restricted_countries,
                "images": [{**img, "url": _absolute(img.get("url", ""))} for img in row.images],
                "min_age": row.min_age,
                "min_kyc_level": row.min_kyc_level,
                "updated_at": iso_utc(row.updated_at),
            }
            for row in rows
        ]
        return Response({"data": data, "cursor": cursor, "meta": meta})


def _absolute(url: str) -> str:
    return f"{settings.HUB_PUBLIC_URL}{url}" if url.startswith("/") else url


class GamesView(HmacView):
    def get(self, request: Request) -> Response:
        params = CursorParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        rows, cursor, meta = paginate(
            game_selectors.games_list(p.get("updated_after")), cursor=p.get("cursor"), limit=p["limit"]
        )
        data = [
            {
                "id": str(g.id),
                "provider_id": str(g.provider_id),
                "name": g.name,
                "slug": g.slug,
                "rtp": g.rtp,
                "status": g.status,
                "updated_at": iso_utc(g.updated_at),
                "deleted_at": iso_utc(g.deleted_at),
                "categories": g.categories,
                "currencies": g.currencies,
                "platforms": g.platforms,
            }
            for g in rows
        ]
        return Response({"data": data, "cursor": cursor, "meta": meta})


class MoneyField(serializers.DecimalField):
    """A non-negative amount: JSON number or decimal string, parsed as Decimal (never float)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=24, decimal_places=8, min_value=Decimal("0"), **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class SessionCreateSerializer(serializers.Serializer):
    game_id = StrictCharField(max_length=100)
    player_id = StrictCharField(max_length=200)
    player_name = StrictCharField(max_length=200)
    currency = StrictCharField(max_length=10)
    session_id = StrictCharField(max_length=200)
    balance = MoneyField()
    device = serializers.ChoiceField(choices=["desktop", "mobile"], required=False, default="mobile")
    return_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    language = StrictCharField(max_length=10, required=False, default="en")
    is_demo = StrictBooleanField(required=False, default=False)
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        required=False,
        help_text="Hub extension: the player's country (ISO 3166-1 alpha-2). Play from a country the providers "
        "list publishes in `restricted_countries` is refused (403 `country_restricted`).",
        error_messages={"invalid": "Use an ISO 3166-1 alpha-2 country code such as 'DE'."},
    )

    def validate_language(self, value: str) -> str:
        if not LANGUAGE_RE.match(value):
            raise serializers.ValidationError("Use an ISO-639-1 language code such as 'en'.")
        return value.lower().replace("_", "-")

    def validate_game_id(self, value: str) -> Game:
        game = game_selectors.game_get(value)
        if game is None or game.status != "active":
            raise serializers.ValidationError("Unknown or unavailable game.")
        return game


class SessionsView(HmacView):
    def post(self, request: Request) -> Response:
        data = body_object(request)
        body = SessionCreateSerializer(data=data)
        body.is_valid(raise_exception=True)
        created = igsp_services.igsp_session_create(partner=request.user.partner, data=body.validated_data)
        return Response({"url": created.launch_url}, status=status.HTTP_201_CREATED)


class DemoSessionThrottle(SimpleRateThrottle):
    scope = "igsp_demo_sessions"

    def get_rate(self) -> str:
        return settings.HUB_DEMO_SESSIONS_RATE

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class DemoSessionsView(IgspView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [DemoSessionThrottle]

    def post(self, request: Request) -> Response:
        body = SessionCreateSerializer(data=body_object(request))
        body.is_valid(raise_exception=True)
        created = igsp_services.igsp_demo_session_create(data=body.validated_data)
        return Response({"url": created.launch_url}, status=status.HTTP_201_CREATED)


def body_object(request: Request) -> dict[str, Any]:
    """The request's JSON body, which must be an object (a 400 in the protocol's shape otherwise)."""
    if not isinstance(request.data, dict):
        raise ApplicationError("The body must be a JSON object.")
    return request.data


class InboundHookSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["balance", "bet", "win", "refund"])
    player_id = StrictCharField(max_length=200)
    currency = StrictCharField(max_length=10)
    amount = MoneyField(required=False)
    game_id = StrictCharField(max_length=100, required=False)
    transaction_id = StrictCharField(max_length=200, required=False)
    session_id = StrictCharField(max_length=200, required=False)
    type = StrictCharField(max_length=20, required=False)
    bet_transaction_id = StrictCharField(max_length=200, required=False)
    round_id = StrictCharField(max_length=200, required=False)
    finished = StrictBooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["action"] != "balance" and not attrs.get("transaction_id"):
            raise serializers.ValidationError({"transaction_id": "Required for bet, win and refund events."})
        if attrs["action"] != "balance" and attrs.get("amount") is None:
            raise serializers.ValidationError({"amount": "Required for bet, win and refund events."})
        return attrs


class InboundHooksView(HmacView):
    def post(self, request: Request) -> Response:
        body = InboundHookSerializer(data=body_object(request))
        body.is_valid(raise_exception=True)
        response, code = igsp_services.inbound_hook_receive(
            partner=request.user.partner,
            data=body.validated_data,
            raw=request.data,
            reported_at=signing.parse_igsp_timestamp(request.META["HTTP_X_TIMESTAMP"]),
        )  # verified: it parses
        return Response(response, status=code)
