"""Reconciliation per partner, currency and UTC day: what the partner's wallet should agree with.

A row per currency (demo sessions excluded):

- ``bets``: confirmed bets (the partner debited the player);
- ``wins``: confirmed wins (the partner answered 200 to the credit);
- ``refunds``: confirmed refunds of *confirmed* bets (money given back);
- ``ggr`` = bets − wins − refunds;
- ``void_refunds``: confirmed refunds of bets the partner never confirmed (a
  bet that timed out or failed is declined and refunded in case the partner
  had debited it). They net to zero with the bet the partner may or may not
  have recorded, so they are shown for matching counts but are not part of
  GGR.

A transaction belongs to the UTC day of ``confirmed_at`` (when the partner
answered 200): a win delivered after midnight counts on the day the partner
booked it, and a past day's report never changes once it is over. Wins and
refunds still pending or resolved manually are not money the partner booked
through us and are left out.

Money is ``Decimal`` end to end; on SQLite (which sums in binary floating
point) the sums are added up here instead of in the database.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connections
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncHour

from core import csvsafe
from tenants.models import Partner

from . import currency as money
from .models import Transaction, TxKind, TxStatus
from .selectors import transactions_for_partner

ZERO = Decimal(0)
CLOCK_SKEW_MARGIN = timedelta(hours=1)


@dataclass(frozen=True)
class ReconciliationRow:
    partner_id: str
    partner_slug: str
    date: date
    currency: str
    bets_count: int
    bets_sum: Decimal
    wins_count: int
    wins_sum: Decimal
    refunds_count: int
    refunds_sum: Decimal
    ggr: Decimal
    void_refunds_count: int
    void_refunds_sum: Decimal


COLUMNS = tuple(f.name for f in fields(ReconciliationRow))
MONEY_COLUMNS = ("bets_sum", "wins_sum", "refunds_sum", "ggr", "void_refunds_sum")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _confirmed_on(partner: Partner, day: date) -> QuerySet[Transaction]:
    start, end = day_bounds(day)
    return _confirmed_between(partner, start, end)


def _confirmed_between(partner: Partner, start: datetime, end: datetime) -> QuerySet[Transaction]:
    return (
        transactions_for_partner(partner=partner)
        .filter(
            status=TxStatus.CONFIRMED,
            session__is_demo=False,
            confirmed_at__gte=start,
            confirmed_at__lt=end,
            # confirmed_at >= created_at (give or take clock skew between machines): lets the
            # (partner, created_at) index bound the scan from above
            created_at__lt=end + CLOCK_SKEW_MARGIN,
        )
        .annotate(bet_status=F("refunds__status"))
    )


def _totals(qs: QuerySet[Transaction]) -> dict[tuple[str, str, str | None], tuple[int, Decimal]]:
    """(currency, kind, status of the refunded bet) → (count, sum)."""
    keys = ("currency", "kind", "bet_status")
    totals: dict[tuple[str, str, str | None], tuple[int, Decimal]] = {}
    if connections[qs.db].vendor == "sqlite":
        acc: dict = defaultdict(lambda: [0, ZERO])
        for cur, kind, bet_status, amount in qs.values_list(*keys, "amount").order_by().iterator():
            slot = acc[(cur, kind, bet_status)]
            slot[0] += 1
            slot[1] += amount
        return {key: (n, total) for key, (n, total) in acc.items()}
    for row in qs.values(*keys).annotate(n=Count("pk"), total=Sum("amount")).order_by():
        totals[(row["currency"], row["kind"], row["bet_status"])] = (row["n"], row["total"] or ZERO)
    return totals


def reconciliation_report(*, partner: Partner, date: date) -> list[ReconciliationRow]:
    """One row per currency with confirmed money movements of ``partner`` on the UTC day ``date``."""
    day = date
    per_currency: dict[str, dict[str, list]] = defaultdict(
        lambda: {name: [0, ZERO] for name in ("bets", "wins", "refunds", "void_refunds")}
    )
    for (cur, kind, bet_status), (n, total) in _totals(_confirmed_on(partner, day)).items():
        slot = per_currency[cur][_bucket(kind, bet_status)]
        slot[0] += n
        slot[1] += total
    rows = []
    for cur in sorted(per_currency):
        t = per_currency[cur]
        rows.append(
            ReconciliationRow(
                partner_id=str(partner.pk),
                partner_slug=partner.slug,
                date=day,
                currency=cur,
                bets_count=t["bets"][0],
                bets_sum=t["bets"][1],
                wins_count=t["wins"][0],
                wins_sum=t["wins"][1],
                refunds_count=t["refunds"][0],
                refunds_sum=t["refunds"][1],
                ggr=t["bets"][1] - t["wins"][1] - t["refunds"][1],
                void_refunds_count=t["void_refunds"][0],
                void_refunds_sum=t["void_refunds"][1],
            )
        )
    return rows


@dataclass
class HourTotals:
    bets: Decimal = ZERO
    wins: Decimal = ZERO
    refunds: Decimal = ZERO
    void_refunds: Decimal = ZERO
    bets_count: int = 0
    sessions: int = 0  # sessions with a confirmed bet in the hour (the day)

    @property
    def ggr(self) -> Decimal:
        return self.bets - self.wins - self.refunds


def _bucket(kind: str, bet_status: str | None) -> str:
    if kind == TxKind.BET:
        return "bets"
    if kind == TxKind.WIN:
        return "wins"
    return "refunds" if bet_status == TxStatus.CONFIRMED else "void_refunds"


BUCKETS = ("hour", "day")


def bucket_start(at: datetime, bucket: str) -> datetime:
    """The UTC hour or UTC day ``at`` falls in."""
    hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return hour.replace(hour=0) if bucket == "day" else hour


def period_totals(
    *, partner: Partner, start: datetime, end: datetime, bucket: str = "hour"
) -> dict[tuple[str, datetime], HourTotals]:
    """(currency, UTC hour or UTC day) → totals of ``partner``'s confirmed money movements in [start, end), by the
    same rules as :func:`reconciliation_report` (the operations dashboard's charts): the hours of a UTC day, and a
    UTC day's bucket, add up to that day's report. ``sessions`` counts the distinct sessions with a confirmed bet
    in the bucket."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    qs = _confirmed_between(partner, start, end)
    out: dict[tuple[str, datetime], HourTotals] = defaultdict(HourTotals)
    if connections[qs.db].vendor == "sqlite":
        bet_sessions: dict[tuple[str, datetime], set] = defaultdict(set)
        # "bet_status" is _confirmed_between's annotate() alias (the refunded bet's status), which django-stubs'
        # plugin cannot see through the helper's QuerySet[Transaction] return type.
        rows = qs.values_list(  # type: ignore[misc]
            "currency", "kind", "bet_status", "amount", "confirmed_at", "session_id"
        ).order_by()
        for cur, kind, bet_status, amount, confirmed_at, session_id in rows.iterator():
            key = (cur, bucket_start(confirmed_at, bucket))
            slot = out[key]
            name = _bucket(kind, bet_status)
            setattr(slot, name, getattr(slot, name) + amount)
            if name == "bets":
                slot.bets_count += 1
                bet_sessions[key].add(session_id)
        for key, sessions in bet_sessions.items():
            out[key].sessions = len(sessions)
        return dict(out)
    trunc = TruncDay if bucket == "day" else TruncHour
    grouped = (
        qs.annotate(slot=trunc("confirmed_at", tzinfo=UTC))
        .values("currency", "kind", "bet_status", "slot")
        .annotate(n=Count("pk"), total=Sum("amount"), sessions=Count("session", distinct=True))
        .order_by()
    )
    for row in grouped:
        slot = out[(row["currency"], row["slot"])]
        name = _bucket(row["kind"], row["bet_status"])
        setattr(slot, name, getattr(slot, name) + (row["total"] or ZERO))
        if name == "bets":
            slot.bets_count += row["n"]
            slot.sessions += row["sessions"]
    return dict(out)


def hourly_totals(*, partner: Partner, start: datetime, end: datetime) -> dict[tuple[str, datetime], HourTotals]:
    """:func:`period_totals` by UTC hour."""
    return period_totals(partner=partner, start=start, end=end, bucket="hour")


def format_amount(value: Decimal, currency: str) -> str:
    """At the currency's precision (2 for fiat, more for crypto units); never rounds a digit away."""
    q = money.quantum(currency)
    exact = value.quantize(q)
    if exact == value:
        return f"{exact:f}"
    return f"{value.normalize():f}"


def row_values(row: ReconciliationRow) -> list[str]:
    """The row as the CSV and the command print it."""
    out = []
    for name in COLUMNS:
        value = getattr(row, name)
        if name in MONEY_COLUMNS:
            out.append(format_amount(value, row.currency))
        elif name == "date":
            out.append(value.isoformat())
        else:
            out.append(str(value))
    return out


def reconciliation_csv(rows: list[ReconciliationRow]) -> str:
    buf = io.StringIO()
    writer = csvsafe.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row_values(row))
    return buf.getvalue()


def reconciliation_filename(partner: Partner, day: date) -> str:
    return f"reconciliation-{partner.slug}-{day.isoformat()}.csv"
