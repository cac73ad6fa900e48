"""Partners: create, change, suspend and activate, each audited; going live passes the go-live gates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from core.errors import Conflict
from tenants.models import ExtClient, Partner, PartnerStatus
from tenants.validators import normalize_currency, normalize_origin

from .audit import Actor, audit_record, audit_value
from .golive import GoLiveScope, go_live_gates_check, go_live_scope

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


# Callables (partner, actor) run inside the transaction that suspends a partner; registered by the apps that hold
# something a suspension must end (portal.apps: its magic links are revoked), so tenants imports none of them.
PARTNER_SUSPEND_HOOKS: list[Callable[..., None]] = []


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
            changes[name] = {"from": audit_value(old), "to": audit_value(value)}
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
