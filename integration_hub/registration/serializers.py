"""The registration API's input: a partner, its mode and URLs, its currencies and ExtCIDs.

The field validators are the domain's own (``tenants/validators.py``), wrapped so that their Django
``ValidationError`` becomes DRF's and is answered as a 400 in the hub's error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from tenants.validators import validate_cidr_list, validate_currency_code, validate_partner_url


def _django_validator(validator: Callable[[Any], None]) -> Callable[[Any], None]:
    def run(value: Any) -> None:
        try:
            validator(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    return run


def _currency() -> serializers.CharField:
    return serializers.CharField(max_length=10, validators=[_django_validator(validate_currency_code)])


# The component names are those of the published schema (/api/schema/).
@extend_schema_serializer(component_name="ExtClient")
class ExtClientInput(serializers.Serializer):
    extCID = serializers.CharField(max_length=100)
    baseUrl = serializers.CharField(max_length=500, validators=[_django_validator(validate_partner_url)])
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    currencies = serializers.ListField(child=_currency(), required=False)


@extend_schema_serializer(component_name="Input")
class PartnerRegisterInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    integrationMode = serializers.ChoiceField(choices=["igsp", "public_api"])
    igspHooksUrl = serializers.CharField(
        max_length=500, required=False, allow_blank=True, validators=[_django_validator(validate_partner_url)]
    )
    defaultCurrency = _currency()
    allowedCurrencies = serializers.ListField(child=_currency(), required=False)
    ipAllowlist = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        validators=[_django_validator(validate_cidr_list)],
    )
    extClients = ExtClientInput(many=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["integrationMode"] == "igsp" and not attrs.get("igspHooksUrl"):
            raise serializers.ValidationError({"igspHooksUrl": "Required for integrationMode igsp."})
        if attrs["integrationMode"] == "public_api" and not attrs.get("extClients"):
            raise serializers.ValidationError({"extClients": "At least one ExtCID is required for public_api."})
        return attrs
