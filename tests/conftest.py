"""Shared fixtures: partners with keys, signed clients for both protocols."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from integration_hub import signing
from tenants import services
from tenants.models import CredentialPurpose


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def igsp_partner(db):
    """An active IGSP partner; ``.secret`` and ``.api_key`` are its plaintext key pair."""
    result = services.partner_onboard(
        name="Lucky Platform", actor="test", igsp=True, public_api=False,
        default_currency="EUR", allowed_currencies=["USD"], igsp_hooks_url="https://hooks.lucky.example/igsp",
    )
    issued = result.credentials[CredentialPurpose.IGSP]
    partner = result.partner
    partner.api_key = issued.credential.public_id
    partner.secret = issued.secret
    partner.credential = issued.credential
    return partner


@pytest.fixture
def public_partner(db):
    """An active Public API partner with one ExtCID; ``.api_key`` signs Core API calls."""
    result = services.partner_onboard(
        name="Swipe Aggregator", actor="test", igsp=False, public_api=True, default_currency="USD",
        ext_clients=[{"ext_cid": "brand-one", "base_url": "https://wallet.brand-one.example/api"}],
    )
    partner = result.partner
    partner.api_key = result.credentials[CredentialPurpose.CORE_API].secret
    partner.integration_key = result.credentials[CredentialPurpose.INTEGRATION_API].secret
    partner.core_credential = result.credentials[CredentialPurpose.CORE_API].credential
    partner.ext_cid = "brand-one"
    return partner


def igsp_signed_headers(api_key: str, secret: str, body: bytes = b"", now=None) -> dict[str, str]:
    headers = signing.igsp_headers(api_key, secret, body, now=now)
    return {
        "HTTP_AUTHORIZATION": headers["Authorization"],
        "HTTP_X_TIMESTAMP": headers["X-Timestamp"],
        "HTTP_X_SIGNATURE": headers["X-Signature"],
    }


def public_signed(key: str, payload: dict) -> tuple[bytes, dict[str, str]]:
    body, sig = signing.public_sign_body(key, payload)
    return body, {"HTTP_X_REQUEST_SIGN": sig}


def dumps(value) -> bytes:
    return json.dumps(value).encode()
