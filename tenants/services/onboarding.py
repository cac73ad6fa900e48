"""Onboarding: a new partner with its ExtCIDs and the keys its protocols need, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from core.errors import ApplicationError
from tenants.models import CredentialPurpose, ExtClient, Partner, PartnerStatus

from .audit import Actor
from .credentials import IssuedCredential, credential_issue, form_submission_claim
from .ext_clients import ExtClientSpec, ext_client_insert
from .golive import go_live_gates_check, go_live_scope
from .partners import default_partner_status, partner_create


@dataclass
class OnboardResult:
    partner: Partner
    ext_clients: list[ExtClient]
    credentials: dict[str, IssuedCredential] = field(repr=False)

    def credentials_payload(self) -> dict[str, Any]:
        """Credentials under the protocols' own key names (shown once)."""
        payload: dict[str, Any] = {
            "partnerId": str(self.partner.id),
            "name": self.partner.name,
            "slug": self.partner.slug,
            "status": self.partner.status,
        }
        igsp = self.credentials.get(CredentialPurpose.IGSP)
        if igsp:
            payload["integrationMode"] = "igsp"
            payload["igspApiKey"] = igsp.credential.public_id
            payload["igspSecretKey"] = igsp.secret
            payload["igspHooksUrl"] = self.partner.igsp_hooks_url
        core = self.credentials.get(CredentialPurpose.CORE_API)
        if core:
            payload["integrationMode"] = "public_api" if not igsp else "igsp+public_api"
            payload["cID"] = str(self.partner.id)
            payload["apiKey"] = core.secret
        integration = self.credentials.get(CredentialPurpose.INTEGRATION_API)
        if integration:
            payload["integrationApiKey"] = integration.secret
            payload["extCIDs"] = [{"extCID": ec.ext_cid, "baseUrl": ec.base_url} for ec in self.ext_clients]
        alert = self.credentials.get(CredentialPurpose.ALERT_WEBHOOK)
        if alert:
            payload["alertWebhookUrl"] = self.partner.alert_webhook_url
            payload["alertWebhookSecret"] = alert.secret
        return payload


@transaction.atomic
def partner_onboard(
    *,
    name: str,
    actor: Actor,
    igsp: bool,
    public_api: bool,
    slug: str | None = None,
    default_currency: str = "USD",
    allowed_currencies: list[str] | None = None,
    igsp_hooks_url: str = "",
    ext_clients: Sequence[ExtClientSpec] | None = None,
    ip_allowlist: list[str] | None = None,
    account_manager: AbstractBaseUser | None = None,
    status: str | None = None,
    frame_origins: list[str] | None = None,
    go_live_override: str = "",
    submission_token: str | None = None,
) -> OnboardResult:
    """Create a partner with its ExtCIDs and issue the keys its protocols need, in one transaction.

    ``slug`` defaults to one made from the name (unique). ``status`` defaults to onboarding while the go-live
    gate is on (``HUB_CERTIFICATION_GATE``): the partner works as usual and goes live (active) after a passing
    certification run; else to active. Created live, it passes the go-live gates once its ExtCIDs exist
    (``go_live_override``: the audited reason to go live without a passing run). ``submission_token``: the
    admin form's one-time token, claimed first (``form_submission_claim``), so a re-posted form onboards
    nothing; a refusal rolls it back with the rest. None when no form is behind the call."""
    if submission_token is not None:
        form_submission_claim(token=submission_token, actor=actor)
    if status is None:
        status = default_partner_status()
    if not (igsp or public_api):
        raise ApplicationError("Enable at least one protocol (IGSP or Public API).")
    if igsp and not igsp_hooks_url:
        raise ApplicationError("IGSP partners need a hooks URL.", code="invalid_request")
    if public_api and not ext_clients:
        raise ApplicationError("Public API partners need at least one ExtCID with its base URL.")
    partner = partner_create(
        name=name,
        actor=actor,
        slug=slug or None,
        status=status,
        gate=False,  # asked below, once the ExtCIDs exist
        igsp_enabled=igsp,
        public_api_enabled=public_api,
        default_currency=default_currency,
        allowed_currencies=allowed_currencies or [],
        igsp_hooks_url=igsp_hooks_url or "",
        ip_allowlist=ip_allowlist or [],
        account_manager=account_manager,
        frame_origins=frame_origins or [],
    )
    created_ext = [
        ext_client_insert(  # the gates judge the whole partner below
            partner=partner,
            actor=actor,
            ext_cid=ec["ext_cid"],
            base_url=ec["base_url"],
            name=ec.get("name", ""),
            currencies=ec.get("currencies") or partner.currencies,
            is_active=ec.get("is_active", True),
        )
        for ec in (ext_clients or [])
    ]
    if partner.status == PartnerStatus.ACTIVE:  # created live: the go-live gates decide (all rolled back if refused)
        go_live_gates_check(
            scope=go_live_scope(partner=partner, from_status=""), actor=actor, override_reason=go_live_override
        )
    issued: dict[str, IssuedCredential] = {}
    if igsp:
        issued[CredentialPurpose.IGSP] = credential_issue(partner=partner, purpose=CredentialPurpose.IGSP, actor=actor)
    if public_api:
        issued[CredentialPurpose.CORE_API] = credential_issue(
            partner=partner, purpose=CredentialPurpose.CORE_API, actor=actor
        )
        issued[CredentialPurpose.INTEGRATION_API] = credential_issue(
            partner=partner, purpose=CredentialPurpose.INTEGRATION_API, actor=actor
        )
    return OnboardResult(partner=partner, ext_clients=created_ext, credentials=issued)
