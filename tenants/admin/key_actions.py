"""Issuing, rotating and revoking keys from an admin action: one implementation for the partner admin (keys
picked by partner and purpose) and the key admin (keys picked one by one).

Every key is written by ``tenants.services`` with ``actor=request.user``; the new secrets go to the page shown
once (``shown_once``); a key a service refuses becomes an error message naming it, the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.utils import timezone

from core.admin import SERVICE_ERRORS
from tenants import services
from tenants.models import Credential, CredentialPurpose, CredentialState, Partner

from .shown_once import SecretsResponseMixin, issued_block


def rotation_note(old: Credential) -> str:
    """What became of the replaced key (read after the rotation)."""
    if old.state == CredentialState.RETIRING and old.expires_at:
        return (
            f"The previous key (fingerprint {old.fingerprint}) keeps verifying until "
            f"{timezone.localtime(old.expires_at):%Y-%m-%d %H:%M %Z}; then it stops."
        )
    return f"The previous key (fingerprint {old.fingerprint}) is revoked."


class KeyActionsMixin(SecretsResponseMixin):
    """The bodies of the key actions; each admin's action asks for its form and picks the keys."""

    def issue_credentials(self, request, partners: Iterable[Partner], purpose: str):
        """A new ``purpose`` key for each partner: the page that shows them once, or None if none was issued."""
        blocks = []
        for partner in partners:
            try:
                issued = services.credential_issue(partner=partner, purpose=purpose, actor=request.user)
            except SERVICE_ERRORS as exc:
                self.report_failure(request, partner, exc)
                continue
            blocks.append(
                issued_block(
                    partner, {purpose: issued}, title=f"{partner.name}: new {CredentialPurpose(purpose).label}"
                )
            )
        if not blocks:
            return None
        return self.secrets_response(request, blocks, title="New keys: copy them now")

    def rotate_credentials(self, request, targets: Iterable[tuple[Credential, object]], grace_seconds: int):
        """Rotate each key of ``targets`` (the key, what a refusal is reported against): the page that shows the
        new ones once with what became of the old ones, or None if none was rotated."""
        blocks = []
        for cred, reported_as in targets:
            try:
                issued = services.credential_rotate(credential=cred, actor=request.user, grace_seconds=grace_seconds)
            except SERVICE_ERRORS as exc:
                self.report_failure(request, reported_as, exc)
                continue
            cred.refresh_from_db(fields=["state", "expires_at"])
            blocks.append(
                issued_block(
                    cred.partner,
                    {cred.purpose: issued},
                    note=rotation_note(cred),
                    title=f"{cred.partner.name}: rotated {cred.get_purpose_display()}",
                )
            )
        if not blocks:
            return None
        return self.secrets_response(request, blocks, title="Rotated keys: copy them now")

    def revoke_credentials(self, request, credentials: Iterable[Credential], reason: str) -> None:
        """Revoke each key now (no grace period) and say how many were."""
        revoked = 0
        for cred in credentials:
            try:
                services.credential_revoke(credential=cred, actor=request.user, reason=reason)
                revoked += 1
            except SERVICE_ERRORS as exc:
                self.report_failure(request, cred, exc)
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS if revoked else messages.WARNING)
