"""Registration API for platform scripts: POST /api/v1/partners/register (X-Admin-Key)."""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.authentication import AdminKeyAuthentication, IsPlatformAdmin
from core.errors import ApplicationError

from . import allowlist, services
from .validators import validate_cidr_list, validate_currency_code, validate_partner_url


def _django_validator(validator):
    def run(value):
        from django.core.exceptions import ValidationError as DjangoValidationError

        try:
            validator(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    return run


class PartnerRegisterView(APIView):
    authentication_classes = [AdminKeyAuthentication]
    permission_classes = [IsPlatformAdmin]
    error_style = "hub"

    class InputSerializer(serializers.Serializer):
        class ExtClientSerializer(serializers.Serializer):
            extCID = serializers.CharField(max_length=100)
            baseUrl = serializers.CharField(max_length=500, validators=[_django_validator(validate_partner_url)])
            name = serializers.CharField(max_length=200, required=False, allow_blank=True)
            currencies = serializers.ListField(
                child=serializers.CharField(max_length=10, validators=[_django_validator(validate_currency_code)]),
                required=False,
            )

        name = serializers.CharField(max_length=200)
        integrationMode = serializers.ChoiceField(choices=["igsp", "public_api"])
        igspHooksUrl = serializers.CharField(
            max_length=500, required=False, allow_blank=True, validators=[_django_validator(validate_partner_url)]
        )
        defaultCurrency = serializers.CharField(max_length=10, validators=[_django_validator(validate_currency_code)])
        allowedCurrencies = serializers.ListField(
            child=serializers.CharField(max_length=10, validators=[_django_validator(validate_currency_code)]),
            required=False,
        )
        ipAllowlist = serializers.ListField(
            child=serializers.CharField(max_length=64),
            required=False,
            validators=[_django_validator(validate_cidr_list)],
        )
        extClients = ExtClientSerializer(many=True, required=False)

        def validate(self, attrs):
            if attrs["integrationMode"] == "igsp" and not attrs.get("igspHooksUrl"):
                raise serializers.ValidationError({"igspHooksUrl": "Required for integrationMode igsp."})
            if attrs["integrationMode"] == "public_api" and not attrs.get("extClients"):
                raise serializers.ValidationError({"extClients": "At least one ExtCID is required for public_api."})
            return attrs

    def post(self, request):
        if not isinstance(request.data, dict):
            raise ApplicationError("The body must be a JSON object.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        mode = v["integrationMode"]
        result = services.partner_onboard(
            name=v["name"],
            actor="api:register",
            igsp=mode == "igsp",
            public_api=mode == "public_api",
            default_currency=v["defaultCurrency"],
            allowed_currencies=v.get("allowedCurrencies") or [],
            igsp_hooks_url=v.get("igspHooksUrl", ""),
            ip_allowlist=v.get("ipAllowlist") or [],
            ext_clients=[
                {
                    "ext_cid": ec["extCID"],
                    "base_url": ec["baseUrl"],
                    "name": ec.get("name", ""),
                    "currencies": ec.get("currencies"),
                }
                for ec in v.get("extClients") or []
            ],
        )
        payload = {**result.credentials_payload(), "ipAllowlist": result.partner.ip_allowlist}
        if warning := allowlist.warning(result.partner.ip_allowlist):
            payload["warnings"] = [warning]
        return Response(payload, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})
