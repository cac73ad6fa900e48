"""Reads of tenant data. Every read that serves a partner takes the partner."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.db import get_or_none
from core.errors import NotFound

from . import crypto
from .models import Credential, CredentialPurpose, CredentialState, ExtClient, Partner


@dataclass(frozen=True)
class VerifyingKey:
    credential: Credential
    secret: str  # plaintext, only in memory for the duration of a request

    def __repr__(self) -> str:  # never print the secret
        return f"VerifyingKey({self.credential.pk})"


def _verifying_q(now=None) -> Q:
    now = now or timezone.now()
    return Q(state=CredentialState.ACTIVE) | Q(state=CredentialState.RETIRING, expires_at__gt=now)


def igsp_key_for_public_id(public_id: str) -> VerifyingKey | None:
    """The IGSP key named by ``Authorization: Bearer <public id>``, if it still verifies."""
    if not public_id or len(public_id) > 64:
        return None
    cred = get_or_none(
        Credential.objects.select_related("partner").filter(_verifying_q()),
        public_id=public_id,
        purpose=CredentialPurpose.IGSP,
    )
    if cred is None:
        return None
    try:
        return VerifyingKey(cred, crypto.decrypt_secret(cred.secret_encrypted))
    except crypto.SecretUnavailable:
        return None


def partner_verifying_keys(*, partner: Partner, purpose: str) -> list[VerifyingKey]:
    """Every active or still-retiring key of a purpose: inbound requests verify against all of them."""
    keys = []
    for cred in Credential.objects.filter(_verifying_q(), partner=partner, purpose=purpose).order_by("-created_at"):
        try:
            keys.append(VerifyingKey(cred, crypto.decrypt_secret(cred.secret_encrypted)))
        except crypto.SecretUnavailable:
            continue
    return keys


_signing_keys: dict[tuple, tuple[float, VerifyingKey | None]] = {}
_signing_keys_lock = threading.Lock()
_signing_refresh_lock = threading.Lock()


def signing_key_cache_clear() -> None:
    """Forget every cached signing key (credential writes in this process call it)."""
    with _signing_keys_lock:
        _signing_keys.clear()


def partner_signing_key(*, partner: Partner, purpose: str, fresh_for: float = 0.0) -> VerifyingKey | None:
    """Outbound calls sign with the newest active key of the purpose.

    Cached per process for HUB_SIGNING_KEY_CACHE_SECONDS (default 2 s; 0 disables): a bet or a
    delivery batch then costs no query and no Fernet decrypt. Credential writes clear the cache
    of the process that made them; another process picks a rotation up within the TTL, well
    inside the key grace period (the retiring key still verifies at the partner meanwhile).

    ``fresh_for``: a cached key that expires within that many seconds is looked up again (the delivery
    pump warms the key on its main thread, so that its worker threads, which send a moment later, still
    find it cached instead of each opening a database connection of its own).
    """
    ttl = settings.HUB_SIGNING_KEY_CACHE_SECONDS
    cache_key = (partner.pk, purpose)
    if ttl <= 0:
        return _signing_key_lookup(partner, purpose)
    hit = _signing_keys.get(cache_key)
    if hit is not None and hit[0] > time.monotonic() + fresh_for:
        return hit[1]
    # One thread of the process looks the key up when it expires; the others that missed it meanwhile wait for
    # it and take what it found, rather than every bet thread querying and decrypting it at once.
    with _signing_refresh_lock:
        hit = _signing_keys.get(cache_key)
        if hit is not None and hit[0] > time.monotonic() + fresh_for:
            return hit[1]
        key = _signing_key_lookup(partner, purpose)
        with _signing_keys_lock:
            _signing_keys[cache_key] = (time.monotonic() + ttl, key)
    return key


def _signing_key_lookup(partner: Partner, purpose: str) -> VerifyingKey | None:
    cred = (
        Credential.objects.filter(partner=partner, purpose=purpose, state=CredentialState.ACTIVE)
        .order_by("-created_at")
        .first()
    )
    return None if cred is None else VerifyingKey(cred, crypto.decrypt_secret(cred.secret_encrypted))


def partner_by_cid(cid) -> Partner | None:
    try:
        value = uuid.UUID(str(cid))
    except (ValueError, TypeError, AttributeError):
        return None
    return get_or_none(Partner.objects, pk=value)


def ext_client_for_partner(*, partner: Partner, ext_cid: str) -> ExtClient | None:
    return get_or_none(ExtClient.objects, partner=partner, ext_cid=ext_cid)


def ext_client_active_get(*, partner: Partner, ext_cid: str) -> ExtClient:
    """The partner's ExtCID if it is active; ``NotFound`` (``ext_cid_not_found``) for any other."""
    ext = ext_client_for_partner(partner=partner, ext_cid=ext_cid)
    if ext is None or not ext.is_active:
        raise NotFound(f"extCID {ext_cid!r} is not configured for this client.", code="ext_cid_not_found")
    return ext


def ext_client_currencies(ext: ExtClient) -> list[str]:
    """The currencies an ExtCID plays: its own list, or its partner's when it has none."""
    return list(ext.currencies or ext.partner.currencies)


def partners_visible_to(user) -> QuerySet[Partner]:
    """Superusers see every partner; account managers only those assigned to them."""
    qs = Partner.objects.all()
    if user.is_superuser:
        return qs
    return qs.filter(account_manager=user)
