"""Running totals behind /metrics: ``hub_transactions_total`` and the delivery-attempt counter and histogram.

Counting the ledger at scrape time reads whole tables (tens of seconds on millions of rows). Instead, database triggers (wallet/migrations/0011_metric_tallies.py) write a
delta row into ``wallet_metrictally`` in the same transaction as each change, and a scrape sums that
small table:

- a ledger row counts +1 under its (kind, status) once it is out of *pending* (inserted so, or its status
  changes: -1 old status unless pending, +1 new), and demo sessions' rows are not counted (the trigger looks
  the session up by primary key). On PostgreSQL a DELETE counts -1 (ledger rows are never deleted, but an
  UPDATE that moves a row to another partition is run as a DELETE and an INSERT). Pending rows are counted
  live by the scrape, from the partial index that holds only them (``tx_due_idx``): so a bet's or a win's
  pending insert runs no trigger, and its confirmation writes one delta (wallet/migrations/0014);
- a delivery attempt counts +1 under (outcome, kind, smallest bucket that holds it) with its duration.
  Attempts are immutable: the retention's DELETE and dropped partitions (wallet/partitions.py) are not
  followed, so the counter and histogram never go down (Prometheus counter semantics).

The deltas are appended, never updated: two bets never wait for the same tally row (a counter row per
series would be a lock every bet of every partner queues on, held until each bet's commit). ``fold``
(beat task ``wallet.fold_metric_tallies``, every ``HUB_METRICS_FOLD_SECONDS``) replaces the rows by one
per series; on PostgreSQL in one statement (``DELETE … RETURNING`` feeding the ``INSERT``), so a delta
committed meanwhile is either folded or left, never lost or counted twice. A scrape reads the sum in one
statement, so it sees a fold wholly or not at all.

``scan`` is the old whole-table count (tests compare with it; ``recount`` rebuilds the tallies from it,
e.g. after a bulk load with triggers off, as bench/ledger.py does).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F

from .models import DeliveryAttempt, MetricTally, Transaction, TxStatus

# Histogram upper bounds: (label in seconds, the same bound in whole milliseconds). The triggers hold the
# same list (0011_metric_tallies.BUCKETS): changing it needs a migration that replaces them and recounts.
DURATION_BUCKETS = (
    ("0.005", 5),
    ("0.01", 10),
    ("0.025", 25),
    ("0.05", 50),
    ("0.1", 100),
    ("0.25", 250),
    ("0.5", 500),
    ("1.0", 1000),
    ("2.5", 2500),
    ("5.0", 5000),
)
FOLD_LOCK = 0x6875620F  # pg advisory lock: one fold at a time (another one skips instead of waiting)


def _bucket(duration_ms: int) -> str:
    return next((label for label, ms in DURATION_BUCKETS if duration_ms <= ms), "+Inf")


class Tallies:
    """Transactions by (kind, status); attempts by (outcome, kind) -> {le: count} and total ms."""

    def __init__(self) -> None:
        self.transactions: dict[tuple[str, str], int] = defaultdict(int)
        self.attempts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.attempt_ms: dict[tuple[str, str], int] = defaultdict(int)

    def attempt_rows(self) -> list[dict[str, Any]]:
        """One row per (outcome, kind): n, total_ms and the cumulative count per bucket (``le_<ms>``)."""
        rows = []
        for (outcome, kind), per_le in sorted(self.attempts.items()):
            row: dict[str, Any] = {"outcome": outcome, "kind": kind, "total_ms": self.attempt_ms[(outcome, kind)]}
            running = 0
            for label, ms in DURATION_BUCKETS:
                running += per_le.get(label, 0)
                row[f"le_{ms}"] = running
            row["n"] = running + per_le.get("+Inf", 0)
            if row["n"]:
                rows.append(row)
        return rows

    def as_dict(self) -> dict:
        """Comparable form (zero series left out)."""
        return {
            "transactions": {k: v for k, v in self.transactions.items() if v},
            "attempts": self.attempt_rows(),
        }


_READ = """
SELECT metric, kind, status, outcome, le, sum(n), sum(ms) FROM wallet_metrictally
 GROUP BY metric, kind, status, outcome, le
UNION ALL
SELECT 'tx', t.kind, t.status, '', '', count(*), 0
  FROM wallet_transaction t JOIN wallet_gamesession s ON s.id = t.session_id
 WHERE t.status = 'pending' AND NOT s.is_demo GROUP BY t.kind, t.status
"""


def read() -> Tallies:
    """The running totals and the pending rows counted live, in one statement (one snapshot: a row leaving
    pending meanwhile is counted once); the tally table is small (folded every few seconds)."""
    tallies = Tallies()
    with connection.cursor() as cursor:
        cursor.execute(_READ)
        rows = cursor.fetchall()
    for metric, kind, status, outcome, le, total, total_ms in rows:
        if metric == "tx":
            tallies.transactions[(kind, status)] += int(total)
        else:
            key = (outcome, kind)
            tallies.attempts[key][le] += int(total)
            tallies.attempt_ms[key] += int(total_ms or 0)
    return tallies


def scan() -> Tallies:
    """The same numbers counted from the ledger and the delivery log (whole-table aggregates)."""
    tallies = Tallies()
    for row in (
        Transaction.objects.filter(session__is_demo=False).values("kind", "status").annotate(n=Count("pk")).order_by()
    ):
        tallies.transactions[(row["kind"], row["status"])] = row["n"]
    for attempt in (
        DeliveryAttempt.objects.values("outcome", "duration_ms", kind=F("transaction__kind"))
        .annotate(n=Count("pk"))
        .order_by()
    ):
        key = (attempt["outcome"], attempt["kind"] or "")
        tallies.attempts[key][_bucket(attempt["duration_ms"])] += attempt["n"]
        tallies.attempt_ms[key] += attempt["duration_ms"] * attempt["n"]
    return tallies


_PG_FOLD = """
WITH moved AS (DELETE FROM wallet_metrictally RETURNING metric, kind, status, outcome, le, n, ms)
INSERT INTO wallet_metrictally (metric, kind, status, outcome, le, n, ms)
SELECT metric, kind, status, outcome, le, sum(n), sum(ms) FROM moved
 GROUP BY metric, kind, status, outcome, le HAVING sum(n) <> 0 OR sum(ms) <> 0
"""
_SUMS = """SELECT metric, kind, status, outcome, le, sum(n), sum(ms) FROM wallet_metrictally WHERE id <= %s
 GROUP BY metric, kind, status, outcome, le HAVING sum(n) <> 0 OR sum(ms) <> 0"""


def fold() -> int:
    """Replace the delta rows by one row per series; returns the rows left (0 when another fold runs)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FOLD_LOCK])
            if not cursor.fetchone()[0]:
                return 0
            cursor.execute(_PG_FOLD)
            return cursor.rowcount
        # SQLite: one writer at a time, so the rows read are the rows deleted.
        cursor.execute("SELECT max(id) FROM wallet_metrictally")
        top = cursor.fetchone()[0]
        if top is None:
            return 0
        cursor.execute(_SUMS, [top])
        sums = cursor.fetchall()
        cursor.execute("DELETE FROM wallet_metrictally WHERE id <= %s", [top])
        MetricTally.objects.bulk_create(
            MetricTally(metric=m, kind=k, status=s, outcome=o, le=le, n=n, ms=ms) for m, k, s, o, le, n, ms in sums
        )
        return len(sums)


def recount() -> Tallies:
    """Rebuild the tallies from a scan (writers wait meanwhile); for a ledger loaded with triggers off."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE wallet_transaction, wallet_deliveryattempt IN SHARE MODE")
        counted = scan()
        MetricTally.objects.all().delete()
        rows = [
            MetricTally(metric="tx", kind=k, status=s, n=n)
            for (k, s), n in counted.transactions.items()
            if n and s != TxStatus.PENDING  # counted live by read()
        ]
        for (outcome, kind), per_le in counted.attempts.items():
            ms = counted.attempt_ms[(outcome, kind)]
            for le, n in per_le.items():
                rows.append(MetricTally(metric="attempt", kind=kind, outcome=outcome, le=le, n=n, ms=ms))
                ms = 0  # the total duration rides on one bucket row of the series
        MetricTally.objects.bulk_create(rows)
    return counted
