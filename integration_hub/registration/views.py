"""The registration view: validates the body, onboards the partner (``tenants.services``), answers its keys once."""

from __future__ import annotations

from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.authentication import AdminKeyAuthentication, IsPlatformAdmin
from core.errors import ApplicationError
from tenants import allowlist, services

from .serializers import PartnerRegisterInput


class PartnerRegisterView(APIView):
    authentication_classes = [AdminKeyAuthentication]
    permission_classes = [IsPlatformAdmin]
    error_style = "hub"

    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ApplicationError("The body must be a JSON object.")
        data = PartnerRegisterInput(data=request.data)
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
