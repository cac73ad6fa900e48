"""The go-live gates: what is about to serve real players (``GoLiveScope``), and the checks the apps that own a
condition register (``GO_LIVE_GATES``; the certification runner's, from ``certification.apps``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from tenants.models import AuditLog, ExtClient, Partner, PartnerStatus

from .audit import Actor


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


def go_live_gates_check(*, scope: GoLiveScope, actor: Actor, override_reason: str = "") -> None:
    """Ask every registered gate; one that refuses raises (the caller's transaction rolls back)."""
    for gate in GO_LIVE_GATES:
        gate(scope=scope, actor=actor, override_reason=override_reason)
