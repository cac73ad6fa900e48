"""Monthly partitions of the ledger and the delivery log, and the delivery log's retention.

On PostgreSQL ``wallet_transaction`` (by ``created_at``) and ``wallet_deliveryattempt`` (by ``started_at``)
are range-partitioned by month (wallet/migrations/0007_partition_ledger.py), each with a ``…_default``
partition so that an insert never fails for want of a month. ``maintain`` (the ``ledger_partitions``
command and the daily beat task ``wallet.maintain_ledger_partitions``) does two things:

- creates the partitions of the coming ``HUB_LEDGER_PARTITIONS_AHEAD`` months (and of any month whose
  rows landed in the default partition, moving them out of it);
- archives delivery attempts older than ``HUB_ATTEMPT_RETENTION_DAYS`` (gzip CSV files under
  ``HUB_ARCHIVE_DIR``) and removes them: whole months by dropping their partition, the rest by DELETE.
  Transactions are kept: the ledger is never dropped.

On SQLite (the embedded default) the tables are plain: no partitions to create, retention by DELETE.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core import csvsafe

from .models import DeliveryAttempt

TABLES = {"wallet_transaction": "created_at", "wallet_deliveryattempt": "started_at"}
ATTEMPTS = "wallet_deliveryattempt"
_BOUND = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass
class Partition:
    name: str
    lower: datetime | None  # None for the default partition
    upper: datetime | None


@dataclass
class MaintenanceReport:
    created: list[str] = field(default_factory=list)
    moved_from_default: int = 0
    dropped: list[str] = field(default_factory=list)
    attempts_removed: int = 0
    archives: list[str] = field(default_factory=list)


def month_start(moment: datetime, add: int = 0) -> datetime:
    moment = moment.astimezone(UTC)
    index = moment.year * 12 + moment.month - 1 + add
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        return cursor.fetchone() is not None


def partitions(table: str) -> list[Partition]:
    """The table's partitions, oldest first (the default partition last)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
                 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = %s::regclass""",
            [table],
        )
        rows = cursor.fetchall()
    found = []
    for name, bound in rows:
        match = _BOUND.search(bound)
        if match:
            lower, upper = (datetime.fromisoformat(v).astimezone(UTC) for v in match.groups())
            found.append(Partition(name, lower, upper))
        else:
            found.append(Partition(name, None, None))
    return sorted(found, key=lambda p: (p.lower is None, p.lower or datetime.min.replace(tzinfo=UTC)))


def _create_month(table: str, key: str, month: datetime) -> tuple[str, int]:
    """Create the partition of ``month``, moving that month's rows out of the default partition first."""
    upper = month_start(month, 1)
    name = f"{table}_p{month:%Y%m}"
    bounds = f"FROM ('{month.isoformat()}') TO ('{upper.isoformat()}')"
    default = f"{table}_default"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {default} WHERE {key} >= %s AND {key} < %s", [month, upper])
        stranded = cursor.fetchone()[0]
        if not stranded:
            cursor.execute(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES {bounds}")
            return name, 0
        # Rows of this month sit in the default partition: PostgreSQL refuses the new partition until they
        # leave it. Detach the default (under the lock, inserts wait), move them, attach both.
        cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {default}")
        cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(f"INSERT INTO {name} SELECT * FROM {default} WHERE {key} >= %s AND {key} < %s", [month, upper])
        cursor.execute(f"DELETE FROM {default} WHERE {key} >= %s AND {key} < %s", [month, upper])
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES {bounds}")
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {default} DEFAULT")
        return name, stranded


def ensure_partitions(*, months_ahead: int | None = None, now: datetime | None = None) -> MaintenanceReport:
    """Create this month's and the next ``months_ahead`` months' partitions, and those of stranded rows."""
    report = MaintenanceReport()
    ahead = settings.HUB_LEDGER_PARTITIONS_AHEAD if months_ahead is None else months_ahead
    now = now or timezone.now()
    for table, key in TABLES.items():
        if not is_partitioned(table):
            continue
        existing = {p.lower for p in partitions(table) if p.lower is not None}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT date_trunc('month', {key} AT TIME ZONE 'UTC') FROM {table}_default")
            stranded = {month_start(row[0].replace(tzinfo=UTC)) for row in cursor.fetchall()}
        wanted = {month_start(now, add) for add in range(ahead + 1)} | stranded
        for month in sorted(wanted - existing):
            name, moved = _create_month(table, key, month)
            report.created.append(name)
            report.moved_from_default += moved
    return report


def archive_rows(path: Path, sql: str, params: list) -> int:
    """Write the rows of ``sql`` to a gzip CSV (header first); return how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with connection.cursor() as cursor, gzip.open(path, "wt", newline="") as out:
        cursor.execute(sql, params)
        writer = csvsafe.writer(out)
        writer.writerow([col[0] for col in cursor.description])
        while rows := cursor.fetchmany(5000):
            writer.writerows(rows)
            count += len(rows)
    return count


def expire_attempts(
    *,
    retention_days: int | None = None,
    archive_dir: Path | None = None,
    archive: bool = True,
    now: datetime | None = None,
) -> MaintenanceReport:
    """Archive and remove delivery attempts older than the retention (transactions are never touched)."""
    report = MaintenanceReport()
    days = settings.HUB_ATTEMPT_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    folder = Path(archive_dir or settings.HUB_ARCHIVE_DIR)
    stamp = f"{cutoff:%Y%m%dT%H%M%S}"
    if is_partitioned(ATTEMPTS):
        for part in partitions(ATTEMPTS):
            if part.upper is None or part.upper > cutoff:
                continue
            with transaction.atomic():
                if archive:
                    target = folder / f"{part.name}.csv.gz"
                    report.attempts_removed += archive_rows(target, f"SELECT * FROM {part.name} ORDER BY id", [])
                    report.archives.append(str(target))
                else:
                    with connection.cursor() as cursor:
                        cursor.execute(f"SELECT count(*) FROM {part.name}")
                        report.attempts_removed += cursor.fetchone()[0]
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE {part.name}")
            report.dropped.append(part.name)
    # What is left older than the cutoff (the month the cutoff falls in, the default partition, SQLite).
    old = DeliveryAttempt.objects.filter(started_at__lt=cutoff)
    with transaction.atomic():
        if old.exists():
            if archive:
                target = folder / f"{ATTEMPTS}-before-{stamp}.csv.gz"
                sql, params = old.order_by("id").query.sql_with_params()
                archive_rows(target, sql, list(params))
                report.archives.append(str(target))
            deleted, _ = old.delete()
            report.attempts_removed += deleted
    return report


def maintain(**kwargs: Any) -> MaintenanceReport:
    """Both jobs, as the beat task and the command run them."""
    archive = kwargs.pop("archive", True)
    report = ensure_partitions(months_ahead=kwargs.pop("months_ahead", None), now=kwargs.get("now"))
    expired = expire_attempts(archive=archive, **kwargs)
    report.dropped, report.attempts_removed, report.archives = (
        expired.dropped,
        expired.attempts_removed,
        expired.archives,
    )
    return report
