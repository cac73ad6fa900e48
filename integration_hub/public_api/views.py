"""Public API edge: the Core API under /api/v1 (X-REQUEST-SIGN over RFC 8785 canonical JSON)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from core.api.throttling import LookupThrottle
from freerounds import services as freerounds_services

from . import services
from .base import CoreApiView, body_object
from .lookup import free_rounds_status

if TYPE_CHECKING:
    from rest_framework.request import Request


class UserSerializer(serializers.Serializer):
    id = StrictCharField(max_length=200)
    firstName = StrictCharField(max_length=200, required=False, allow_blank=True)
    lastName = StrictCharField(max_length=200, required=False, allow_blank=True)
    nickName = StrictCharField(max_length=200, required=False, allow_blank=True)
    country = StrictCharField(max_length=2, min_length=2, required=False, allow_blank=True)


class CreateNewGameSerializer(serializers.Serializer):
    cID = serializers.UUIDField()
    extCID = StrictCharField(max_length=100)
    gameID = StrictCharField(max_length=100)
    sessionID = StrictCharField(max_length=200, required=False, allow_blank=True)
    returnURL = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    depositURL = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    currency = StrictCharField(max_length=10)
    locale = StrictCharField(max_length=10)
    platform = serializers.ChoiceField(choices=["desktop", "mobile"])
    demo = StrictBooleanField()
    initDemoBalance = serializers.RegexField(
        r"^(0|[1-9]\d*)(\.\d+)?$",
        max_length=30,
        required=False,
        error_messages={"invalid": 'Must be a decimal string like "10000.00".'},
    )
    user = UserSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["demo"]:
            missing = [f for f in ("sessionID", "user") if not attrs.get(f)]
            if missing:
                raise serializers.ValidationError({f: "Required for real (non-demo) games." for f in missing})
        return attrs


class CreateNewGameView(CoreApiView):
    def post(self, request: Request) -> Response:
        body = CreateNewGameSerializer(data=body_object(request))
        body.is_valid(raise_exception=True)
        created = services.create_new_game(partner=request.user.partner, data=body.validated_data)
        return Response({"gameURL": created.launch_url, "gsID": str(created.session.pk)})


class GamesQuerySerializer(serializers.Serializer):
    cID = serializers.UUIDField()
    extCID = StrictCharField(max_length=100)
    excludeBetLines = serializers.ChoiceField(choices=["true", "false"], required=False, default="false")


@method_decorator(gzip_page, name="dispatch")
class GamesView(CoreApiView):
    def get(self, request: Request) -> HttpResponse:
        query = GamesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        raw = services.games_info_json(
            partner=request.user.partner,
            ext_cid=query.validated_data["extCID"],
            exclude_bet_lines=query.validated_data["excludeBetLines"] == "true",
        )
        return HttpResponse(raw, content_type="application/json")


class CreateFreeRoundsSerializer(serializers.Serializer):
    extID = StrictCharField(max_length=200)
    cID = serializers.UUIDField()
    extCID = StrictCharField(max_length=100)
    gameIDs = serializers.ListField(child=StrictCharField(max_length=100), required=False, allow_empty=False)
    userIDs = serializers.ListField(child=StrictCharField(max_length=200), required=False, allow_empty=False)
    currency = StrictCharField(max_length=10)
    quantity = StrictIntegerField(min_value=1, max_value=99)
    betLine = StrictIntegerField(min_value=1, max_value=99)
    validFrom = serializers.DateTimeField()
    validUntil = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["validFrom"], attrs.get("validUntil")
        if end is not None:
            if end <= start:
                raise serializers.ValidationError({"validUntil": "Must be after validFrom."})
            if (end - start).total_seconds() > 30 * 24 * 3600:
                raise serializers.ValidationError({"validUntil": "The validity must not exceed 30 days."})
        return attrs


class DeleteFreeRoundsSerializer(serializers.Serializer):
    """Exactly DeleteFreeRoundsRequest: the Core API signs only the body, so a captured create body
    (which carries extID, cID and extCID too) must not verify as a cancel. Any other field is a 400."""

    id = serializers.UUIDField(required=False)
    extID = StrictCharField(max_length=200, required=False)
    cID = serializers.UUIDField()
    extCID = StrictCharField(max_length=100)

    def to_internal_value(self, data: Any) -> Any:
        extra = sorted(str(k) for k in data if k not in self.fields) if isinstance(data, dict) else []
        if extra:
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [f"Fields not allowed in a cancel request: {', '.join(extra)}."]}
            )
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("id") and not attrs.get("extID"):
            raise serializers.ValidationError("One of id or extID must be provided.")
        return attrs


class FreeRoundsView(CoreApiView):
    def get_throttles(self) -> list:
        return [LookupThrottle()] if self.request.method == "GET" else []  # the status is a lookup

    def get(self, request: Request) -> Response:
        """``GET /free-rounds?cID&(id|extID|userID)``: granted, used, remaining and won so far, per player."""
        return free_rounds_status(request)

    def post(self, request: Request) -> Response:
        body = CreateFreeRoundsSerializer(data=body_object(request))
        body.is_valid(raise_exception=True)
        v = body.validated_data
        campaign = freerounds_services.campaign_create(
            partner=request.user.partner,
            ext_cid=v["extCID"],
            ext_id=v["extID"],
            currency=v["currency"],
            quantity=v["quantity"],
            bet_line=v["betLine"],
            valid_from=v["validFrom"],
            valid_until=v.get("validUntil"),
            game_refs=v.get("gameIDs") or (),
            user_ids=v.get("userIDs") or (),
        )
        return Response({"id": str(campaign.pk), "extID": campaign.ext_id}, status=status.HTTP_200_OK)

    def delete(self, request: Request) -> Response:
        body = DeleteFreeRoundsSerializer(data=body_object(request))
        body.is_valid(raise_exception=True)
        v = body.validated_data
        freerounds_services.campaign_cancel(
            partner=request.user.partner, ext_cid=v["extCID"], campaign_id=v.get("id"), ext_id=v.get("extID")
        )
        return Response(status=status.HTTP_200_OK)
