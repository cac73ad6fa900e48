"""ExtCIDs (a Public API partner's casinos): create and change, each audited; one that starts serving a live
partner passes the go-live gates."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from django.db import IntegrityError, transaction

from core.errors import Conflict
from tenants.models import ExtClient, Partner, PartnerStatus
from tenants.validators import normalize_currency

from .audit import Actor, audit_record
from .golive import GoLiveScope, go_live_gates_check

EXT_CLIENT_FIELDS = ("ext_cid", "name", "base_url", "is_active", "currencies")


class ExtClientSpec(TypedDict):
    """One ExtCID created with a new partner (``partner_onboard``): no name, the partner's currencies and
    active unless said otherwise."""

    ext_cid: str
    base_url: str
    name: NotRequired[str]
    currencies: NotRequired[list[str] | None]
    is_active: NotRequired[bool]


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
    ext = ext_client_insert(
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


def ext_client_insert(
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
