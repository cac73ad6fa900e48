"""``manage.py ledger_partitions [--months-ahead N] [--retention-days D] [--archive-dir DIR] [--no-archive]``.

Creates the ledger's upcoming monthly partitions (PostgreSQL) and archives, then removes, delivery attempts
older than the retention (wallet/partitions.py; the beat task ``wallet.maintain_ledger_partitions`` runs
the same every 6 hours). Transactions are never removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wallet import partitions


class Command(BaseCommand):
    help = "Create upcoming ledger partitions; archive and drop delivery attempts past their retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months-ahead", type=int, default=None, help="Months of partitions made ahead.")
        parser.add_argument("--retention-days", type=int, default=None, help="Keep attempts this many days.")
        parser.add_argument("--archive-dir", default=None, help="Where archived attempts go (gzip CSV).")
        parser.add_argument("--no-archive", action="store_true", help="Drop old attempts without archiving.")

    def handle(self, *args: Any, **opts: Any) -> None:
        for name in ("months_ahead", "retention_days"):
            if opts[name] is not None and opts[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} must be 0 or more.")
        report = partitions.maintain(
            months_ahead=opts["months_ahead"],
            retention_days=opts["retention_days"],
            archive_dir=Path(opts["archive_dir"]) if opts["archive_dir"] else None,
            archive=not opts["no_archive"],
        )
        for name in report.created:
            self.stdout.write(f"created partition {name}")
        if report.moved_from_default:
            self.stdout.write(f"moved {report.moved_from_default} rows out of the default partitions")
        for name in report.dropped:
            self.stdout.write(f"dropped partition {name}")
        for path in report.archives:
            self.stdout.write(f"archived to {path}")
        self.stdout.write(f"{report.attempts_removed} delivery attempts removed")
