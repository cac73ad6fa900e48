"""Leases of the delivery engine (``wallet.delivery``): which deliveries are due, and who sends them.

A delivery is *claimed* before it is sent: a row lock (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite serializes writers) sets ``Transaction.lease_until`` longer than the HTTP timeout
(``HUB_DELIVERY_LEASE_SECONDS``, ``wallet.outbox.lease_seconds``) and counts the attempt, so two
workers never send the same attempt at once; a killed worker's lease simply expires. Also the
partner's cap on concurrent deliveries (:func:`partner_cap`), and the deferral of a row that waits
for the breaker or the cap (no attempt counted).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.db import Pk, PreparedQuery, get_or_none, prepared_cursor

from ..models import Transaction, TxKind, TxStatus
from ..outbox import lease_seconds


def partner_cap(partner_id: Pk) -> int:
    """Concurrent deliveries to a partner: its own setting (admin), else HUB_PARTNER_MAX_IN_FLIGHT."""
    from tenants.models import Partner

    own = get_or_none(Partner.objects.values_list("max_in_flight", flat=True), pk=partner_id)
    return max(1, int(own or settings.HUB_PARTNER_MAX_IN_FLIGHT))


def in_flight(partner_id: Pk, now: datetime) -> int:
    return Transaction.objects.filter(
        partner_id=partner_id, status=TxStatus.PENDING, lease_until__gt=now, kind__in=[TxKind.WIN, TxKind.REFUND]
    ).count()


def defer(tx_id: Pk, until: datetime) -> None:
    Transaction.objects.filter(pk=tx_id, status=TxStatus.PENDING).update(next_attempt_at=until)


def due(now: datetime, *, slack: float = 1.0) -> Q:
    """Pending wins/refunds whose lease is free and whose next attempt is due."""
    return _due(now, now + timedelta(seconds=slack))


def _due(now: datetime, until: datetime) -> Q:
    return (
        Q(status=TxStatus.PENDING, kind__in=[TxKind.WIN, TxKind.REFUND])
        & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=until))
    )


def _due_rows(qs: QuerySet[Transaction], now: datetime, until: datetime, limit: int) -> QuerySet[Transaction]:
    """The due rows of ``qs`` to lease, oldest due first, locked (SKIP LOCKED on PostgreSQL), with their
    sessions, partners and ExtCIDs, ready to send."""
    qs = (
        qs.filter(_due(now, until))
        .select_related("session__partner", "session__ext_client")
        .order_by("next_attempt_at")
    )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return qs[:limit]


def _lease_picked(cte: str, columns: dict[str, str]) -> str:
    """The claim as one statement on PostgreSQL: the rows locked by the SELECT, leased and counted by the same
    statement (one round trip, its own transaction); it returns them as they were before (``_leased`` sets the lease
    and the count on the instances). By the rows' ids and months as arrays (``_LEASE_SQL``'s plan, whatever the table's
    size), and between their first and last month: PostgreSQL prunes the months outside that range while the statement
    runs (it does not prune on an array the statement computes)."""
    ids, months = columns["id"], columns["created_at"]
    return (
        f"WITH picked{cte}, leased AS ("  # noqa: S608 - the ledger's own columns; every value is a parameter
        'UPDATE "wallet_transaction" SET lease_until = %s, attempts = attempts + 1, updated_at = %s'
        f" WHERE id = ANY((SELECT array_agg({ids}) FROM picked)::uuid[])"
        f" AND created_at = ANY((SELECT array_agg({months}) FROM picked)::timestamptz[])"
        f" AND created_at BETWEEN (SELECT min({months}) FROM picked) AND (SELECT max({months}) FROM picked))"
        " SELECT * FROM picked"
    )


# A partner's batch, compiled once per batch size (the pump claims up to its cap at a time): the ORM built and
# compiled this SELECT for every batch. The markers only stand for the values while it is compiled.
_PARTNER_DUE = PreparedQuery(
    lambda partner_id, now, until, limit: _due_rows(
        Transaction.objects.filter(partner_id=partner_id), now, until, limit
    ),
    markers=(
        uuid.UUID(int=0x5EED),
        datetime(2000, 1, 1, 0, 0, 1, tzinfo=UTC),
        datetime(2000, 1, 1, 0, 0, 2, tzinfo=UTC),
    ),
    around=_lease_picked,
)


def has_due(partner_id: Pk, now: datetime | None = None) -> bool:
    return Transaction.objects.filter(due(now or timezone.now(), slack=0), partner_id=partner_id).exists()


def claim(tx_id: Pk, now: datetime | None = None) -> Transaction | None:
    """Take the lease on a due delivery, or None if someone else has it / it is not due / it is done."""
    now = now or timezone.now()
    until = now + timedelta(seconds=1.0)
    rows = _claim(lambda: list(_due_rows(Transaction.objects.filter(pk=tx_id), now, until, 1)), now)
    return rows[0] if rows else None


def claim_batch(partner_id: Pk, limit: int, now: datetime | None = None) -> list[Transaction]:
    """Lease up to ``limit`` of a partner's due deliveries (oldest due first)."""
    if limit <= 0:
        return []
    now = now or timezone.now()
    until = now + timedelta(seconds=1.0)
    if connection.vendor != "postgresql":
        return _claim(lambda: list(_PARTNER_DUE.rows(partner_id, now, until, variant=limit)), now)
    lease_until = now + timedelta(seconds=lease_seconds())
    rows = _PARTNER_DUE.rows(partner_id, now, until, variant=limit, after=(lease_until, now))
    return _leased(rows, lease_until)


_LEASE_SQL = (
    'UPDATE "wallet_transaction" SET lease_until = %s, attempts = attempts + 1, updated_at = %s'
    " WHERE id = ANY(%s::uuid[]) AND created_at = ANY(%s::timestamptz[])"
)


def _claim(select: Callable[[], list[Transaction]], now: datetime) -> list[Transaction]:
    """Lease the rows ``select`` locks (inside this transaction) and count the attempt."""
    with transaction.atomic():
        rows = select()
        if not rows:
            return []
        lease_until = now + timedelta(seconds=lease_seconds())
        # The rows' months too (the partition key): PostgreSQL plans and probes only the partitions holding them.
        if connection.vendor == "postgresql":  # one text for any batch (arrays): prepared once per connection
            with prepared_cursor() as cursor:
                cursor.execute(
                    _LEASE_SQL, [lease_until, now, [row.pk for row in rows], [row.created_at for row in rows]]
                )
        else:
            Transaction.objects.filter(
                pk__in=[row.pk for row in rows], created_at__in={row.created_at for row in rows}
            ).update(lease_until=lease_until, attempts=F("attempts") + 1, updated_at=now)
    return _leased(rows, lease_until)


def _leased(rows: list[Transaction], lease_until: datetime) -> list[Transaction]:
    for row in rows:
        row.lease_until, row.attempts = lease_until, row.attempts + 1
    return rows
