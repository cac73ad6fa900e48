"""Every write to partners, ExtCIDs and credentials. Admin, API, commands and tasks call these."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from core.errors import ApplicationError, Conflict

from . import crypto
from .models import (
    AuditLog,
    Credential,
    CredentialPurpose,
    CredentialState,
    ExtClient,
    FormSubmission,
    Partner,
    PartnerStatus,
)
from .validators import normalize_currency, normalize_origin

Actor = AbstractBaseUser | str | None

PUBLIC_ID_PREFIX = {CredentialPurpose.IGSP: "gp_live_"}
# Core / Integration API keys start with a recognisable prefix, so the log filter can find one anywhere in free
# text (core.logging). Keys issued before carry none and stay valid (a key is compared whole).
SECRET_PREFIX = {
    CredentialPurpose.CORE_API: "hub_core_",
    CredentialPurpose.INTEGRATION_API: "hub_int_",
    CredentialPurpose.ALERT_WEBHOOK: "hub_alert_",  # signs the alert webhook only (alerts.services)
}
PARTNER_FIELDS = (
    "name",
    "slug",
    "status",
    "igsp_enabled",
    "public_api_enabled",
    "default_currency",
    "allowed_currencies",
    "igsp_hooks_url",
    "ip_allowlist",
    "account_manager",
    "max_in_flight",
    "max_bets_in_flight",
    "frame_origins",
    "alert_webhook_url",
    "certification_test_players",
)
EXT_CLIENT_FIELDS = ("ext_cid", "name", "base_url", "is_active", "currencies")


class ExtClientSpec(TypedDict):
    """One ExtCID created with a new partner (``partner_onboard``): no name, the partner's currencies and
    active unless said otherwise."""

    ext_cid: str
    base_url: str
    name: NotRequired[str]
    currencies: NotRequired[list[str] | None]
    is_active: NotRequired[bool]


@dataclass(frozen=True)
class IssuedCredential:
    """A freshly issued credential with its plaintext secret: show it once, never store it."""

    credential: Credential
    secret: str = field(repr=False)


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


# ------------------------------------------------------------------ audit --


def _actor_fields(actor: Actor) -> dict[str, Any]:
    if actor is None:
        return {"actor": None, "actor_label": "system"}
    if isinstance(actor, str):
        return {"actor": None, "actor_label": actor}
    return {"actor": actor, "actor_label": actor.get_username()}


def _plain(value: Any) -> Any:
    if isinstance(value, AbstractBaseUser):
        return value.get_username()
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk") and not isinstance(value, (str, int)):
        return str(value.pk)
    return value


def audit_record(*, actor: Actor, action: str, obj, partner: Partner | None, changes: dict | None = None) -> AuditLog:
    return AuditLog.objects.create(
        **_actor_fields(actor),
        partner=partner,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        changes={k: _plain(v) for k, v in (changes or {}).items()},
    )


# --------------------------------------------------------------- partners --


def _unique_slug(name: str) -> str:
    base = slugify(name)[:80] or "partner"
    slug, n = base, 1
    while Partner.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _normalize_partner_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if "default_currency" in fields:
        fields["default_currency"] = normalize_currency(fields["default_currency"])
    if fields.get("allowed_currencies") is not None:
        fields["allowed_currencies"] = list(dict.fromkeys(normalize_currency(c) for c in fields["allowed_currencies"]))
    if fields.get("ip_allowlist") is not None:
        fields["ip_allowlist"] = [str(c).strip() for c in fields["ip_allowlist"] if str(c).strip()]
    if isinstance(fields.get("frame_origins"), (list, tuple)):
        fields["frame_origins"] = list(
            dict.fromkeys(normalize_origin(o) for o in fields["frame_origins"] if str(o or "").strip())
        )
    if isinstance(fields.get("certification_test_players"), (list, tuple)):
        fields["certification_test_players"] = list(
            dict.fromkeys(str(p).strip() for p in fields["certification_test_players"] if str(p or "").strip())
        )
    return fields


@transaction.atomic
def partner_create(
    *,
    name: str,
    actor: Actor,
    slug: str | None = None,
    go_live_override: str = "",
    gate: bool = True,
    **fields: Any,
) -> Partner:
    """Create a partner. Created live (``status`` active), it passes the go-live gates first; ``gate=False`` is for
    ``partner_onboard`` only, which asks them once its ExtCIDs exist, in the same transaction."""
    unknown = set(fields) - set(PARTNER_FIELDS)
    if unknown:
        raise TypeError(f"unknown partner fields: {sorted(unknown)}")
    fields = _normalize_partner_fields(dict(fields))
    partner = Partner(name=name.strip(), slug=slug or _unique_slug(name), **fields)
    partner.full_clean()
    try:
        with transaction.atomic():
            partner.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict("A partner with this slug already exists.") from exc
    audit_record(
        actor=actor,
        action="partner.create",
        obj=partner,
        partner=partner,
        changes={f: getattr(partner, f) for f in PARTNER_FIELDS},
    )
    if partner.status == PartnerStatus.ACTIVE and gate:  # created live: the gates decide (rolled back if refused)
        go_live_gates_check(
            scope=go_live_scope(partner=partner, from_status=""), actor=actor, override_reason=go_live_override
        )
    return partner


@transaction.atomic
def partner_update(*, partner: Partner, actor: Actor, go_live_override: str = "", **fields: Any) -> Partner:
    """Change a partner's fields. Switching it live, or enabling a protocol while it is live, passes the go-live
    gates first (``go_live_override``: the audited reason to go live without a passing run)."""
    unknown = set(fields) - set(PARTNER_FIELDS)
    if unknown:
        raise TypeError(f"unknown partner fields: {sorted(unknown)}")
    fields = _normalize_partner_fields(dict(fields))
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    changes = {}
    for name, value in fields.items():
        old = getattr(locked, name)
        if old != value:
            changes[name] = {"from": _plain(old), "to": _plain(value)}
            setattr(locked, name, value)
    if not changes:
        return locked
    locked.full_clean()
    scope = None
    if "status" in changes and locked.status == PartnerStatus.ACTIVE:
        scope = go_live_scope(partner=locked, from_status=changes["status"]["from"])
    elif locked.status == PartnerStatus.ACTIVE:
        enabled_igsp = changes.get("igsp_enabled", {}).get("to") is True
        enabled_public = changes.get("public_api_enabled", {}).get("to") is True
        if enabled_igsp or enabled_public:
            ext_clients = ExtClient.objects.filter(partner=locked, is_active=True) if enabled_public else []
            scope = GoLiveScope(partner=locked, igsp=enabled_igsp, ext_clients=tuple(ext_clients), whole=False)
    if scope is not None:
        go_live_gates_check(scope=scope, actor=actor, override_reason=go_live_override)
    locked.save()
    audit_record(actor=actor, action="partner.update", obj=locked, partner=locked, changes=changes)
    if changes.get("status", {}).get("to") == PartnerStatus.SUSPENDED:
        _partner_suspended(partner=locked, actor=actor)
    return locked


def partner_suspend(*, partner: Partner, actor: Actor, reason: str = "") -> Partner:
    return _partner_set_status(partner=partner, status=PartnerStatus.SUSPENDED, actor=actor, reason=reason)


def partner_activate(*, partner: Partner, actor: Actor, reason: str = "", override_reason: str = "") -> Partner:
    """Switch a partner live, from onboarding or suspended. Every registered go-live gate must agree (the
    certification runner's: a passing full run per protocol and active ExtCID), unless ``override_reason`` is
    given (audited by the gate)."""
    return _partner_set_status(
        partner=partner, status=PartnerStatus.ACTIVE, actor=actor, reason=reason, override_reason=override_reason
    )


def default_partner_status() -> str:
    return PartnerStatus.ONBOARDING if settings.HUB_CERTIFICATION_GATE else PartnerStatus.ACTIVE


@dataclass(frozen=True)
class GoLiveScope:
    """What is about to serve real players, for the go-live gates to judge.

    ``whole``: the partner itself goes active (every enabled protocol and active ExtCID); ``first_time``: it has
    never been live before (its first go-live needs runs of the current code). Not whole: parts added to a live
    partner (an ExtCID created or activated, a protocol enabled)."""

    partner: Partner
    igsp: bool
    ext_clients: tuple[ExtClient, ...]
    whole: bool
    first_time: bool = False


def go_live_scope(*, partner: Partner, from_status: str) -> GoLiveScope:
    """The whole partner going active from ``from_status`` ("" when created live): its enabled protocols and, for
    the Public API, its active ExtCIDs. It is a first go-live unless it returns from a suspension after having
    been live."""
    ext_clients = ExtClient.objects.filter(partner=partner, is_active=True) if partner.public_api_enabled else []
    returning = from_status == PartnerStatus.SUSPENDED and partner_was_live(partner=partner)
    return GoLiveScope(
        partner=partner,
        igsp=partner.igsp_enabled,
        ext_clients=tuple(ext_clients),
        whole=True,
        first_time=not returning,
    )


def partner_was_live(*, partner: Partner) -> bool:
    """Whether the partner has been active before (its audit trail says so): returning from a suspension is not a
    first go-live."""
    went_live = (
        Q(action="partner.activate")
        | Q(action="partner.create", changes__status=PartnerStatus.ACTIVE)
        | Q(action="partner.update", changes__status__to=PartnerStatus.ACTIVE)
    )
    return AuditLog.objects.filter(went_live, partner=partner).exists()


# Callables (scope, actor, override_reason) that raise to refuse something going live; registered by the apps
# that own a condition (certification.apps), so tenants imports none of them.
GO_LIVE_GATES: list[Callable[..., None]] = []


# Callables (partner, actor) run inside the transaction that suspends a partner; registered by the apps that hold
# something a suspension must end (portal.apps: its magic links are revoked), so tenants imports none of them.
PARTNER_SUSPEND_HOOKS: list[Callable[..., None]] = []


def go_live_gates_check(*, scope: GoLiveScope, actor: Actor, override_reason: str = "") -> None:
    """Ask every registered gate; one that refuses raises (the caller's transaction rolls back)."""
    for gate in GO_LIVE_GATES:
        gate(scope=scope, actor=actor, override_reason=override_reason)


@transaction.atomic
def _partner_set_status(
    *, partner: Partner, status: str, actor: Actor, reason: str, override_reason: str = ""
) -> Partner:
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    if locked.status == status:
        return locked
    old = locked.status
    if status == PartnerStatus.ACTIVE:  # from onboarding or suspended alike
        scope = go_live_scope(partner=locked, from_status=old)
        go_live_gates_check(scope=scope, actor=actor, override_reason=override_reason)
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=f"partner.{'suspend' if status == PartnerStatus.SUSPENDED else 'activate'}",
        obj=locked,
        partner=locked,
        changes={"status": {"from": old, "to": status}, "reason": reason},
    )
    if status == PartnerStatus.SUSPENDED:
        _partner_suspended(partner=locked, actor=actor)
    return locked


def _partner_suspended(*, partner: Partner, actor: Actor) -> None:
    for hook in PARTNER_SUSPEND_HOOKS:
        hook(partner=partner, actor=actor)


# -------------------------------------------------------------- ExtCIDs --


@transaction.atomic
def ext_client_create(
    *,
    partner: Partner,
    ext_cid: str,
    base_url: str,
    actor: Actor,
    name: str = "",
    currencies: list[str] | None = None,
    is_active: bool = True,
    go_live_override: str = "",
) -> ExtClient:
    """Add an ExtCID. Created active on a live Public API partner, it passes the go-live gates first (a passing
    run of it is impossible before it exists: create it inactive, certify it, activate it; or the override)."""
    ext = _ext_client_insert(
        partner=partner,
        ext_cid=ext_cid,
        base_url=base_url,
        actor=actor,
        name=name,
        currencies=currencies,
        is_active=is_active,
    )
    if ext.is_active:
        _ext_client_going_live(ext=ext, actor=actor, override_reason=go_live_override)
    return ext


def _ext_client_insert(
    *,
    partner: Partner,
    ext_cid: str,
    base_url: str,
    actor: Actor,
    name: str,
    currencies: list[str] | None,
    is_active: bool,
) -> ExtClient:
    ext = ExtClient(
        partner=partner,
        ext_cid=(ext_cid or "").strip(),
        name=name,
        base_url=(base_url or "").strip(),
        is_active=is_active,
        currencies=list(dict.fromkeys(normalize_currency(c) for c in (currencies or []))),
    )
    ext.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            ext.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(f"ExtCID {ext.ext_cid!r} is already taken.", code="ext_cid_taken") from exc
    audit_record(
        actor=actor,
        action="extclient.create",
        obj=ext,
        partner=partner,
        changes={f: getattr(ext, f) for f in EXT_CLIENT_FIELDS},
    )
    return ext


def _ext_client_going_live(*, ext: ExtClient, actor: Actor, override_reason: str) -> None:
    """An ExtCID that starts serving a live Public API partner passes the go-live gates (the partner's row locked,
    so a concurrent go-live of the whole partner is decided after or before, not beside it)."""
    partner = Partner.objects.select_for_update().get(pk=ext.partner_id)
    if partner.status == PartnerStatus.ACTIVE and partner.public_api_enabled:
        scope = GoLiveScope(partner=partner, igsp=False, ext_clients=(ext,), whole=False)
        go_live_gates_check(scope=scope, actor=actor, override_reason=override_reason)


@transaction.atomic
def ext_client_update(*, ext_client: ExtClient, actor: Actor, go_live_override: str = "", **fields: Any) -> ExtClient:
    """Change an ExtCID; activating it on a live Public API partner passes the go-live gates first."""
    unknown = set(fields) - set(EXT_CLIENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown ExtCID fields: {sorted(unknown)}")
    if fields.get("currencies") is not None:
        fields["currencies"] = list(dict.fromkeys(normalize_currency(c) for c in fields["currencies"]))
    locked = ExtClient.objects.select_for_update().get(pk=ext_client.pk)
    changes = {}
    for name, value in fields.items():
        if getattr(locked, name) != value:
            changes[name] = {"from": getattr(locked, name), "to": value}
            setattr(locked, name, value)
    if not changes:
        return locked
    locked.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise Conflict(f"ExtCID {locked.ext_cid!r} is already taken.", code="ext_cid_taken") from exc
    audit_record(actor=actor, action="extclient.update", obj=locked, partner=locked.partner, changes=changes)
    if changes.get("is_active", {}).get("to") is True:
        _ext_client_going_live(ext=locked, actor=actor, override_reason=go_live_override)
    return locked


# ------------------------------------------------------------ credentials --


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
        created_by=actor if isinstance(actor, AbstractBaseUser) else None,
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
            FormSubmission.objects.create(token=token, actor=actor if isinstance(actor, AbstractBaseUser) else None)
    except IntegrityError as exc:
        raise Conflict(
            "This form was already submitted (a refresh sends it again): nothing was changed this "
            "time, and the keys it issued were shown once. Open the page afresh to start over.",
            code="already_submitted",
        ) from exc


def _signing_keys_changed() -> None:
    """Outbound signing picks the new newest key at once in this process (others within the cache TTL)."""
    from .selectors import signing_key_cache_clear

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


# ------------------------------------------------------------- onboarding --


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
        _ext_client_insert(  # the gates judge the whole partner below
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
