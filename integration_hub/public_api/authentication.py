"""Public API authentication: X-REQUEST-SIGN over RFC 8785 canonical JSON, keys found by cID."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rest_framework.authentication import BaseAuthentication

from core import signing
from core.api.authentication import PartnerPrincipal, auth_failed, enforce_partner_access
from tenants import selectors, services
from tenants.models import CredentialPurpose

if TYPE_CHECKING:
    from rest_framework.request import Request


def _cid_and_canonical(request: Request) -> tuple[str | None, bytes]:
    if request.method in ("GET", "HEAD"):
        params = {k: v for k, v in request._request.GET.items()}
        return params.get("cID"), signing.canonical_query(params)
    raw = request._request.body
    canonical = signing.canonicalize_raw(raw)
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    cid = parsed.get("cID") if isinstance(parsed, dict) else None
    return (cid if isinstance(cid, str) else None), canonical


class PublicApiSignatureAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        signature = request.META.get("HTTP_X_REQUEST_SIGN")
        if signature is None:
            return None
        try:
            cid, canonical = _cid_and_canonical(request)
        except signing.SignatureError:
            raise auth_failed() from None
        partner = selectors.partner_by_cid(cid) if cid else None
        if partner is None or not partner.public_api_enabled:
            raise auth_failed()
        keys = selectors.partner_verifying_keys(partner=partner, purpose=CredentialPurpose.CORE_API)
        try:
            index = signing.public_verify([k.secret for k in keys], canonical, signature)
        except signing.SignatureError:
            raise auth_failed() from None
        credential = keys[index].credential
        enforce_partner_access(request, partner)
        services.credential_touch(credential=credential)
        return PartnerPrincipal(partner=partner, credential=credential), credential

    def authenticate_header(self, request: Request) -> str:
        return 'X-REQUEST-SIGN realm="public-api"'
