"""The one page that ever shows a plaintext secret: the keys just issued, under the protocols' own key names.

``issued_block`` turns what a service issued (``tenants.services.IssuedCredential``) into one block of the page
(key name, value, whether it is a secret; the JSON a partner developer copies); ``SecretsResponseMixin`` renders
the blocks as a ``TemplateResponse`` marked ``Cache-Control: no-store``, inside the caller's transaction, so a
page that fails to render takes the new keys back rather than losing them. Nothing here stores a secret: not
the session, the messages framework, the admin log or the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from tenants import services
from tenants.models import Credential, CredentialPurpose, ExtClient, Partner

from .base import TenantAdminMixin

SECRETS_TEMPLATE = "admin/tenants/credentials_issued.html"

# Protocol key names, as the partner's integration guide spells them; True = a secret.
PROTOCOL_KEYS = (
    ("igspApiKey", False),
    ("igspSecretKey", True),
    ("igspHooksUrl", False),
    ("cID", False),
    ("apiKey", True),
    ("integrationApiKey", True),
    ("extCIDs", False),
    ("alertWebhookUrl", False),
    ("alertWebhookSecret", True),
)


@dataclass
class IssuedBlock:
    """What one confirmation block shows: the protocol key names and their values."""

    partner: Partner
    title: str
    rows: list[tuple[str, str, bool]]
    payload_json: str
    credentials: list[Credential] = field(default_factory=list)
    note: str = ""


def issued_block(
    partner: Partner,
    issued: dict[str, services.IssuedCredential],
    *,
    title: str,
    note: str = "",
    ext_clients: list[ExtClient] | None = None,
) -> IssuedBlock:
    if ext_clients is None:
        ext_clients = list(partner.ext_clients.filter(is_active=True))
    payload = services.OnboardResult(partner=partner, ext_clients=ext_clients, credentials=issued).credentials_payload()
    if CredentialPurpose.INTEGRATION_API in issued and "cID" not in payload:
        payload["cID"] = str(partner.pk)
    rows = []
    for key, is_secret in PROTOCOL_KEYS:
        if key in payload:
            value = payload[key]
            rows.append((key, value if isinstance(value, str) else json.dumps(value), is_secret))
    return IssuedBlock(
        partner=partner,
        title=title,
        rows=rows,
        payload_json=json.dumps(payload, indent=2),
        credentials=[i.credential for i in issued.values()],
        note=note,
    )


class SecretsResponseMixin(TenantAdminMixin):
    def secrets_response(self, request, blocks: list[IssuedBlock], *, title: str, next_url: str = ""):
        """The only page that ever shows the secrets: rendered now, never cached, never stored."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "blocks": blocks,
            "opts": self.opts,
            "next_url": next_url or reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"),
            "partners_url": reverse("admin:tenants_partner_changelist"),
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, SECRETS_TEMPLATE, context)
        # Render inside the caller's transaction: a failure rolls the keys back rather than losing them.
        response.render()
        add_never_cache_headers(response)
        response["Pragma"] = "no-cache"
        response["Referrer-Policy"] = "no-referrer"
        return response
