"""IGSP HMAC authentication: Bearer key id, X-Timestamp, X-Signature over body + timestamp.

A signed non-GET request acts once: its signature, once accepted, answers 401 for as long as it could
still verify (``integration_hub.replay``). A partner retrying re-signs with a new timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS

from core import signing
from core.api.authentication import PartnerPrincipal, auth_failed, enforce_partner_access
from integration_hub import replay
from tenants import selectors, services

if TYPE_CHECKING:
    from rest_framework.request import Request


class IgspHmacAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        meta = request.META
        authorization = meta.get("HTTP_AUTHORIZATION", "")
        timestamp = meta.get("HTTP_X_TIMESTAMP")
        signature = meta.get("HTTP_X_SIGNATURE")
        if not authorization and timestamp is None and signature is None:
            return None  # scheme absent: the permission answers 401
        scheme, _, key_id = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key_id.strip() or not timestamp or not signature:
            raise auth_failed()
        key = selectors.igsp_key_for_public_id(key_id.strip())
        if key is None:
            raise auth_failed()
        try:
            signing.igsp_verify(
                [key.secret], request._request.body, timestamp, signature, skew_seconds=settings.HUB_CLOCK_SKEW_SECONDS
            )
        except signing.SignatureError:
            raise auth_failed() from None
        partner = key.credential.partner
        if not partner.igsp_enabled:
            raise auth_failed()
        enforce_partner_access(request, partner)
        if request.method not in SAFE_METHODS and not replay.signature_first_use(
            key_id=str(key.credential.pk), signature=signature
        ):
            raise auth_failed()  # a replay: the same 401 as every other failure
        services.credential_touch(credential=key.credential)
        return PartnerPrincipal(partner=partner, credential=key.credential), key.credential

    def authenticate_header(self, request: Request) -> str:
        return 'HMAC-SHA256 realm="igsp"'
