"""``manage.py reconcile --partner <uuid or slug> --date YYYY-MM-DD [--csv]``: the reconciliation report."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Partner
from wallet.reconciliation import COLUMNS, reconciliation_csv, reconciliation_report, row_values


def _partner(ref: str) -> Partner:
    ref = (ref or "").strip()
    try:
        partner = Partner.objects.filter(pk=uuid.UUID(ref)).first()
    except ValueError:
        partner = Partner.objects.filter(slug=ref).first()
    if partner is None:
        raise CommandError(f"No partner with id or slug {ref!r}.")
    return partner


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Reconciliation of one partner on one UTC day, per currency: confirmed bets, wins, refunds and GGR "
        "(demo sessions excluded)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", required=True, help="Partner id (the Public API cID) or slug.")
        parser.add_argument("--date", required=True, help="UTC day, YYYY-MM-DD.")
        parser.add_argument("--csv", action="store_true", help="Print CSV (the admin's download) instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        partner = _partner(options["partner"])
        day = _day(options["date"])
        rows = reconciliation_report(partner=partner, date=day)
        if options["csv"]:
            self.stdout.write(reconciliation_csv(rows), ending="")
            return
        self.stdout.write(f"Reconciliation: {partner.name} ({partner.slug}, {partner.pk}), {day.isoformat()} UTC")
        if not rows:
            self.stdout.write("No confirmed transactions on this day.")
            return
        shown = [c for c in COLUMNS if c not in ("partner_id", "partner_slug", "date")]
        table = [shown] + [[v for c, v in zip(COLUMNS, row_values(r), strict=False) if c in shown] for r in rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(shown))]
        for n, line in enumerate(table):
            self.stdout.write(
                "  ".join(v.rjust(w) if n else v.ljust(w) for v, w in zip(line, widths, strict=False)).rstrip()
            )
