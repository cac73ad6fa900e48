"""Writes of the partner portal: issue and revoke magic links (audited), the portal's "retry now" and its
"start a certification run" (the admin's and the API's services: same limits, same audit).

The admin (``portal/admin.py``) and the portal's views call these. A link's token is shown once (its URL);
the database holds only its SHA-256, so a leaked database row opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certification import services as certification_services
from certification.models import CertificationRun
from core.errors import ApplicationError, NotFound
from tenants.models import Partner
from tenants.services import Actor, audit_record
from wallet.services import delivery_retry_now

from . import selectors
from .models import PortalLink

TOKEN_PREFIX = "hub_portal_"  # noqa: S105 - the tokens' visible prefix, not a secret
MAX_DAYS = 90


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedPortalLink:
    link: PortalLink
    token: str = field(repr=False)

    @property
    def url(self) -> str:
        """The token rides in the fragment, which a browser never sends: no server, proxy or access log sees
        it. The page at ``/portal/enter`` posts it once for a session cookie (``portal.views.enter``)."""
        return f"{settings.HUB_PUBLIC_URL}/portal/enter#{self.token}"


def portal_link_issue(*, partner: Partner, actor: Actor, days: int = 7, label: str = "") -> IssuedPortalLink:
    """A new magic link to ``partner``'s portal, valid for ``days`` (1–90); the URL is shown once."""
    if not 1 <= int(days) <= MAX_DAYS:
        raise ApplicationError(f"A portal link is valid for 1 to {MAX_DAYS} days.", code="invalid_days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        link = PortalLink.objects.create(
            partner=partner,
            token_hash=hash_token(token),
            label=label[:200],
            created_by_id=actor.pk if not isinstance(actor, str) and actor is not None else None,
            expires_at=timezone.now() + timedelta(days=int(days)),
        )
        audit_record(
            actor=actor,
            action="portal_link.issue",
            obj=link,
            partner=partner,
            changes={"label": link.label, "expires_at": link.expires_at},
        )
    return IssuedPortalLink(link=link, token=token)


def portal_link_revoke(*, link: PortalLink, actor: Actor) -> PortalLink:
    with transaction.atomic():
        if PortalLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            audit_record(actor=actor, action="portal_link.revoke", obj=link, partner=link.partner, changes={})
    link.refresh_from_db()
    return link


def portal_links_revoke_for_partner(*, partner: Partner, actor: Actor) -> None:
    """Revoke every link of ``partner`` still open (each audited): run when the partner is suspended
    (``tenants.services.PARTNER_SUSPEND_HOOKS``, registered in ``portal.apps``), in its transaction."""
    for link in PortalLink.objects.filter(partner=partner, revoked_at__isnull=True).select_related("partner"):
        portal_link_revoke(link=link, actor=actor)


def portal_link_open(*, token: str, client_ip: str = "") -> PortalLink | None:
    """The valid link ``token`` opens (its use is audited), or None: unknown, expired or revoked."""
    link = selectors.portal_link_for_token(hash_token(token or ""))
    if link is None:
        return None
    with transaction.atomic():
        PortalLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
        audit_record(
            actor=f"portal link {str(link.pk)[:8]}",
            action="portal_link.open",
            obj=link,
            partner=link.partner,
            changes={"client_ip": client_ip},
        )
    return link


def _link_actor(link: PortalLink) -> str:
    """Who acted, in the audit log: the portal link (its id's start and label), never its token."""
    return f"portal link {str(link.pk)[:8]} ({link.label or 'partner'})"


def portal_retry_now(*, link: PortalLink, tx_id) -> None:
    """The portal's "retry now" on one of its partner's stuck deliveries (the admin's service); audited."""
    tx = selectors.stuck_deliveries_for(partner=link.partner).filter(pk=tx_id).first()
    if tx is None:
        raise NotFound("No such stuck delivery.", code="not_found")
    delivery_retry_now(tx=tx, actor=_link_actor(link))


def portal_certification_start(
    *,
    link: PortalLink,
    protocol: str,
    currency: str,
    player_id: str = "",
    session_id: str = "",
    ext_cid: str = "",
    groups: list[str] | None = None,
) -> CertificationRun:
    """The partner starts a certification run of its own wallet from its portal: ``run_start`` as the signed API
    does (``via="portal"``: the partner's daily allowance, one active run per protocol, declared test players once
    live), audited as the portal link; a worker runs it. Refusals are ``ApplicationError`` (409, 429, 403, 400)."""
    return certification_services.run_start(
        partner=link.partner,
        protocol=protocol,
        actor=_link_actor(link),
        via="portal",
        currency=currency,
        player_id=player_id if protocol == "igsp" else "",
        session_id=session_id if protocol == "public_api" else "",
        ext_cid=ext_cid if protocol == "public_api" else "",
        groups=groups or [],
    )
