"""The partners' own door to the certification runner: start a run against your own wallet and read its result.

- IGSP (HMAC-signed like every provider API call): ``POST /igsp/v1/certification/runs`` ``{player_id, currency,
  groups?}`` → 202 the run; ``GET /igsp/v1/certification/runs/<id>`` → the run with its cases (progress while it
  runs).
- Public API (X-REQUEST-SIGN with the Core API key): ``POST /api/v1/certification/runs`` ``{cID, extCID,
  sessionID, currency, groups?, requestId, timestamp}`` → 202 (``requestId`` and ``timestamp`` make a captured
  start act once: ``integration_hub/public_api/once.py``); ``GET /api/v1/certification/runs/<id>?cID=…`` → the run.

Thin views: authenticate, validate, call ``certification.services.run_start`` (the admin's Certify page and
``manage.py certify_partner`` call the same), read through the partner-scoped selector (another partner's run
id answers 404).
"""

from __future__ import annotations

import uuid

from rest_framework import serializers, status
from rest_framework.response import Response

from certification import reports, selectors, services
from certification.cases import GROUPS
from certification.models import RunProtocol
from core.api.fields import StrictCharField
from core.errors import ApplicationError, NotFound
from integration_hub.igsp.views import HmacView
from integration_hub.public_api.base import CoreApiView
from integration_hub.public_api.once import OnceBody, request_once


class _Groups(serializers.ListField):
    child = serializers.ChoiceField(choices=list(GROUPS))


class IgspCertifySerializer(serializers.Serializer):
    player_id = StrictCharField(max_length=255)
    currency = StrictCharField(max_length=12)
    groups = _Groups(required=False)


class PublicCertifySerializer(OnceBody):
    cID = serializers.UUIDField()
    extCID = StrictCharField(max_length=100)
    sessionID = StrictCharField(max_length=255)
    currency = StrictCharField(max_length=12)
    groups = _Groups(required=False)


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ApplicationError("The body must be a JSON object.")
    return request.data


def _run_or_404(partner, run_id: str):
    try:
        run_uuid = uuid.UUID(run_id)
    except ValueError:
        raise NotFound("Unknown certification run.") from None
    run = selectors.run_for_partner(partner=partner, run_id=run_uuid)
    if run is None:
        raise NotFound("Unknown certification run.")
    return run


class IgspCertificationRunsView(HmacView):
    def post(self, request):
        body = IgspCertifySerializer(data=_body(request))
        body.is_valid(raise_exception=True)
        partner = request.user.partner
        run = services.run_start(
            partner=partner,
            protocol=RunProtocol.IGSP,
            actor=f"partner:{partner.slug}",
            via="api",
            currency=body.validated_data["currency"],
            player_id=body.validated_data["player_id"],
            groups=body.validated_data.get("groups") or [],
        )
        return Response(reports.run_summary(run), status=status.HTTP_202_ACCEPTED)


class IgspCertificationRunView(HmacView):
    def get(self, request, run_id):
        return Response(reports.run_document(_run_or_404(request.user.partner, run_id)))


class PublicCertificationRunsView(CoreApiView):
    def post(self, request):
        body = PublicCertifySerializer(data=_body(request))
        body.is_valid(raise_exception=True)
        partner = request.user.partner
        request_once(partner=partner, validated=body.validated_data)
        run = services.run_start(
            partner=partner,
            protocol=RunProtocol.PUBLIC_API,
            actor=f"partner:{partner.slug}",
            via="api",
            currency=body.validated_data["currency"],
            session_id=body.validated_data["sessionID"],
            ext_cid=body.validated_data["extCID"],
            groups=body.validated_data.get("groups") or [],
        )
        return Response(reports.run_summary(run), status=status.HTTP_202_ACCEPTED)


class PublicCertificationRunView(CoreApiView):
    def get(self, request, run_id):
        return Response(reports.run_document(_run_or_404(request.user.partner, run_id)))
