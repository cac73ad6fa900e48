"""Reads of the ledger. Every read that serves a partner takes the partner (or the partners a user may see).

The admin, the reconciliation report, the management command and the index
page count all read through here, so tenancy is decided in one place:
``partners_visible_to(user)`` (superusers: every partner, account managers:
the partners they manage).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db.models import Model, QuerySet

from tenants.models import Partner
from tenants.selectors import partners_visible_to

from .models import DeliveryAttempt, GameSession, Round, Transaction, TxKind, TxStatus

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
