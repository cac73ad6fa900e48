"""Partners' keys: issue, rotate (the old key verifies through its grace period), revoke, retire, re-encrypt; the
one-time claim of a secret-issuing admin form. A new secret is returned once (``IssuedCredential``), stored
encrypted (``tenants.crypto``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import ApplicationError, Conflict
from tenants import crypto
from tenants.models import Credential, CredentialPurpose, CredentialState, FormSubmission, Partner

from .audit import Actor, audit_record

PUBLIC_ID_PREFIX: dict[str, str] = {CredentialPurpose.IGSP: "gp_live_"}
# Core / Integration API keys start with a recognisable prefix, so the log filter can find one anywhere in free
# text (core.logging). Keys issued before carry none and stay valid (a key is compared whole).
SECRET_PREFIX: dict[str, str] = {
    CredentialPurpose.CORE_API: "hub_core_",
    CredentialPurpose.INTEGRATION_API: "hub_int_",
    CredentialPurpose.ALERT_WEBHOOK: "hub_alert_",  # signs the alert webhook only (alerts.services)
}


@dataclass(frozen=True)
class IssuedCredential:
    """A freshly issued credential with its plaintext secret: show it once, never store it."""

    credential: Credential
    secret: str = field(repr=False)


def _new_secret(purpose: str) -> str:
    if purpose == CredentialPurpose.IGSP:
        return secrets.token_hex(32)
    return SECRET_PREFIX[purpose] + secrets.token_urlsafe(36)


def _new_public_id(purpose: str) -> str | None:
    prefix = PUBLIC_ID_PREFIX.get(purpose)
    return f"{prefix}{secrets.token_hex(16)}" if prefix else None


@transaction.atomic
def credential_issue(*, partner: Partner, purpose: str, actor: Actor) -> IssuedCredential:
    if purpose not in CredentialPurpose.values:
        raise ApplicationError(f"Unknown credential purpose {purpose!r}.")
    secret = _new_secret(purpose)
    cred = Credential.objects.create(
        partner=partner,
        purpose=purpose,
        public_id=_new_public_id(purpose),
        secret_encrypted=crypto.encrypt_secret(secret),
        fingerprint=crypto.fingerprint(secret),
        state=CredentialState.ACTIVE,
        created_by_id=actor.pk if isinstance(actor, AbstractBaseUser) else None,
    )
    audit_record(
        actor=actor,
        action="credential.issue",
        obj=cred,
        partner=partner,
        changes={"purpose": purpose, "public_id": cred.public_id, "fingerprint": cred.fingerprint},
    )
    _signing_keys_changed()
    return IssuedCredential(credential=cred, secret=secret)


@transaction.atomic
def credential_rotate(*, credential: Credential, actor: Actor, grace_seconds: int | None = None) -> IssuedCredential:
    """Issue a new key of the same purpose; the old one keeps verifying for the grace period."""
    locked = Credential.objects.select_for_update().get(pk=credential.pk)
    if locked.state == CredentialState.REVOKED:
        raise ApplicationError("A revoked key cannot be rotated; issue a new one.", code="credential_revoked")
    if locked.state == CredentialState.RETIRING:
        # It was replaced already: rotating it again would issue yet another key and push its end further out.
        until = f" (it stops verifying at {locked.expires_at:%Y-%m-%d %H:%M:%S} UTC)" if locked.expires_at else ""
        raise ApplicationError(
            f"This key is already retiring{until}: rotate the active key instead, or revoke this one now.",
            code="credential_retiring",
        )
    grace = settings.HUB_KEY_GRACE_SECONDS if grace_seconds is None else int(grace_seconds)
    if grace < 0:
        raise ApplicationError("The grace period cannot be negative.")
    issued = credential_issue(partner=locked.partner, purpose=locked.purpose, actor=actor)
    now = timezone.now()
    if grace == 0:
        locked.state, locked.revoked_at, locked.expires_at = CredentialState.REVOKED, now, None
    else:
        locked.state, locked.expires_at = CredentialState.RETIRING, now + timedelta(seconds=grace)
    locked.save(update_fields=["state", "expires_at", "revoked_at"])
    audit_record(
        actor=actor,
        action="credential.rotate",
        obj=locked,
        partner=locked.partner,
        changes={
            "replaced_by": str(issued.credential.pk),
            "state": locked.state,
            "expires_at": locked.expires_at,
            "grace_seconds": grace,
        },
    )
    return issued


@transaction.atomic
def credential_revoke(*, credential: Credential, actor: Actor, reason: str = "") -> Credential:
    locked = Credential.objects.select_for_update().get(pk=credential.pk)
    if locked.state == CredentialState.REVOKED:
        return locked
    old = locked.state
    locked.state, locked.revoked_at, locked.expires_at = CredentialState.REVOKED, timezone.now(), None
    locked.save(update_fields=["state", "revoked_at", "expires_at"])
    audit_record(
        actor=actor,
        action="credential.revoke",
        obj=locked,
        partner=locked.partner,
        changes={"state": {"from": old, "to": CredentialState.REVOKED}, "reason": reason},
    )
    _signing_keys_changed()
    return locked


def form_submission_claim(*, token: str, actor: Actor) -> None:
    """Accept a secret-issuing admin form once (call it in the transaction that issues the keys)."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise ApplicationError(
            "The form has no submission token: reload the page and submit it again.", code="submission_token_missing"
        )
    try:
        with transaction.atomic():
            FormSubmission.objects.create(
                token=token, actor_id=actor.pk if isinstance(actor, AbstractBaseUser) else None
            )
    except IntegrityError as exc:
        raise Conflict(
            "This form was already submitted (a refresh sends it again): nothing was changed this "
            "time, and the keys it issued were shown once. Open the page afresh to start over.",
            code="already_submitted",
        ) from exc


def _signing_keys_changed() -> None:
    """Outbound signing picks the new newest key at once in this process (others within the cache TTL)."""
    from tenants.selectors import signing_key_cache_clear

    signing_key_cache_clear()
    transaction.on_commit(signing_key_cache_clear)


def credentials_retire_expired(*, now: datetime | None = None) -> int:
    """Mark retiring keys past their expiry as revoked (verification already ignores them)."""
    now = now or timezone.now()
    expired = list(Credential.objects.filter(state=CredentialState.RETIRING, expires_at__lte=now))
    for cred in expired:
        credential_revoke(credential=cred, actor="system:expiry", reason="grace period ended")
    return len(expired)


def credential_touch(*, credential: Credential, now: datetime | None = None) -> None:
    """Record use, at most once per HUB_LAST_USED_RESOLUTION_SECONDS (one conditional UPDATE)."""
    now = now or timezone.now()
    resolution = timedelta(seconds=settings.HUB_LAST_USED_RESOLUTION_SECONDS)
    if credential.last_used_at and now - credential.last_used_at < resolution:
        return
    Credential.objects.filter(pk=credential.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - resolution)
    ).update(last_used_at=now)
    credential.last_used_at = now


def credentials_reencrypt_all() -> int:
    """Re-encrypt every stored secret with the primary master key."""
    count = 0
    for cred in Credential.objects.only("pk", "secret_encrypted").iterator():
        new_token = crypto.reencrypt_secret(cred.secret_encrypted)
        Credential.objects.filter(pk=cred.pk).update(secret_encrypted=new_token)
        count += 1
    _signing_keys_changed()
    return count
