"""Reads of the ledger. Every read that serves a partner takes the partner (or the partners a user may see).

The admin, the reconciliation report, the management command and the index
page count all read through here, so tenancy is decided in one place:
``partners_visible_to(user)`` (superusers: every partner, account managers:
the partners they manage).
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

from core.db import Pk
from tenants.models import Partner
from tenants.selectors import partners_visible_to

from .models import DeliveryAttempt, GameSession, Round, SessionStatus, Transaction, TxKind, TxStatus

DELIVERY_KINDS = (TxKind.WIN, TxKind.REFUND)
AnyUser = AbstractUser | AnonymousUser  # request.user: the admin's user, or anonymous


def scope_to_user[M: Model](qs: QuerySet[M], user: AnyUser) -> QuerySet[M]:
    """Rows of the partners ``user`` may see. Superusers also see partner-less rows (public demo sessions)."""
    if user.is_superuser:
        return qs
    if not (user.is_active and user.is_staff):
        return qs.none()
    return qs.filter(partner__in=partners_visible_to(user).values("pk"))


# --------------------------------------------------------------- per partner --


def sessions_for_partner(*, partner: Partner) -> QuerySet[GameSession]:
    return GameSession.objects.filter(partner=partner)


def rounds_for_partner(*, partner: Partner) -> QuerySet[Round]:
    return Round.objects.filter(partner=partner)


def transactions_for_partner(*, partner: Partner) -> QuerySet[Transaction]:
    return Transaction.objects.filter(partner=partner)


def delivery_attempts_for_partner(*, partner: Partner) -> QuerySet[DeliveryAttempt]:
    return DeliveryAttempt.objects.filter(partner=partner)


# ---------------------------------------------------------------- deliveries --


def pending_deliveries(qs: QuerySet[Transaction] | None = None) -> QuerySet[Transaction]:
    """Wins and refunds still in the outbox (the partner has not answered 200 yet)."""
    qs = Transaction.objects.all() if qs is None else qs
    return qs.filter(status=TxStatus.PENDING, kind__in=DELIVERY_KINDS)


def stuck_deliveries(qs: QuerySet[Transaction] | None = None) -> QuerySet[Transaction]:
    """Pending deliveries the sweeper flagged as undelivered for longer than HUB_STUCK_AFTER."""
    return pending_deliveries(qs).filter(stuck=True)


def stuck_deliveries_count_for(user: AnyUser) -> int:
    return stuck_deliveries(scope_to_user(Transaction.objects.all(), user)).count()


# ------------------------------------------------------------- partner lookup --


def round_for_partner(*, partner: Partner, round_id: Pk) -> Round | None:
    """One of ``partner``'s rounds by our roundID; another partner's id (or garbage) is ``None``."""
    try:
        return rounds_for_partner(partner=partner).select_related("session", "session__game").get(pk=round_id)
    except (Round.DoesNotExist, ValueError, ValidationError):
        return None


def transactions_lookup(
    *,
    partner: Partner,
    since: datetime | None = None,
    until: datetime | None = None,
    player_id: str | None = None,
    round_id: Pk | None = None,
    transaction_id: str | None = None,
    status: str | None = None,
) -> QuerySet[Transaction]:
    """``partner``'s transactions in (created_at, id) order, filtered: ``created_at`` in [since, until), a player,
    one of our roundIDs, a transaction id (ours, or the partner's own ``partner_tx_id``), a status."""
    qs = transactions_for_partner(partner=partner).select_related("session", "session__ext_client")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    if player_id:
        # The player's sessions first ((partner, player_id) index), then their transactions (session_id index): a
        # join filtered on the player lets the planner walk the partner's whole ledger in created_at order instead.
        sessions = sessions_for_partner(partner=partner).filter(player_id=player_id)
        qs = qs.filter(session_id__in=list(sessions.values_list("pk", flat=True)))
    if round_id is not None:
        qs = qs.filter(round_id=round_id)
    if transaction_id:
        ours = Q(partner_tx_id=transaction_id)
        with contextlib.suppress(ValueError):
            ours |= Q(pk=uuid.UUID(transaction_id))
        qs = qs.filter(ours)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "pk")


def active_sessions_for_partner(
    *,
    partner: Partner,
    player_id: str | None = None,
    session_ref: str | None = None,
    session_id: Pk | None = None,
    protocol: str | None = None,
    ext_client_id: int | None = None,
) -> QuerySet[GameSession]:
    qs = sessions_for_partner(partner=partner).filter(status=SessionStatus.ACTIVE)
    if protocol:
        qs = qs.filter(protocol=protocol)
    if ext_client_id is not None:
        qs = qs.filter(ext_client_id=ext_client_id)
    if player_id:
        qs = qs.filter(player_id=player_id)
    if session_ref:
        qs = qs.filter(partner_session_ref=session_ref)
    if session_id is not None:
        qs = qs.filter(pk=session_id)
    return qs
