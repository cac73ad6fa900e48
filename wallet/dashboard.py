"""The operations dashboard on the admin index (``templates/admin/index.html``), for the partners the user may see.

Headline tiles first: today's (UTC) bets, wins and GGR per currency, which are the sums of each partner's
reconciliation report (``reconciliation.reconciliation_report``: one source of truth), the stuck deliveries, the
breakers open and the partners failing certification (``certification.selectors.failing_certifications``). Then a
chart per partner of bets, wins, GGR and active sessions over a range (:data:`RANGES`: 24 h and 7 d by UTC hour,
30 d by UTC day; ``reconciliation.period_totals``, the same rules as the report, so a UTC day's buckets add up to
its report), and the table of delivery health over the last hour (success rate, p50 latency, backlog, stuck rows,
the breaker). Partners with an open breaker or stuck deliveries come first, then those failing certification."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from certification.models import CertificationRun
from certification.selectors import failing_certifications
from tenants.models import Partner
from tenants.selectors import partners_visible_to

from .models import AttemptOutcome, DeliveryAttempt, PartnerDeliveryState, WalletCall
from .reconciliation import ReconciliationRow, bucket_start, format_amount, period_totals, reconciliation_report
from .selectors import AnyUser, pending_deliveries, transactions_for_partner

CHARTED = 20  # partners with a chart (the rest are rows of the table)
SAMPLE = 20_000  # newest calls per source read for the last hour's success rate and p50
ZERO = Decimal(0)


@dataclass(frozen=True)
class ChartRange:
    """A range of the charts: ``slots`` buckets of one UTC ``bucket`` (hour or day), the newest the current one."""

    key: str
    label: str
    bucket: str
    slots: int

    def first(self, now: datetime) -> datetime:
        step = timedelta(days=1) if self.bucket == "day" else timedelta(hours=1)
        return bucket_start(now, self.bucket) - step * (self.slots - 1)

    def starts(self, now: datetime) -> list[datetime]:
        step = timedelta(days=1) if self.bucket == "day" else timedelta(hours=1)
        first = self.first(now)
        return [first + step * i for i in range(self.slots)]


RANGES = {
    r.key: r
    for r in (
        ChartRange("24h", "24 h", "hour", 24),
        ChartRange("7d", "7 d", "hour", 24 * 7),
        ChartRange("30d", "30 d", "day", 30),
    )
}
DEFAULT_RANGE = "24h"


def chart_range(value: object) -> ChartRange:
    """The range named ``value`` (the page's ``?range=``); anything else is the default (24 h), never an error."""
    return RANGES.get(value if isinstance(value, str) else "", RANGES[DEFAULT_RANGE])


def percentile(sorted_values: list[int], share: float) -> int | None:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below it."""
    if not sorted_values:
        return None
    rank = -(-round(share * 1000) * len(sorted_values) // 1000)
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


@dataclass
class PartnerPanel:
    partner: Partner
    breaker: str  # closed | open | probing
    probe_at: datetime | None
    backlog: int
    stuck: int
    calls_last_hour: int
    success_rate: float | None
    p50_ms: int | None
    today: list[ReconciliationRow]
    currency: str
    failing_runs: list[CertificationRun] = field(default_factory=list)  # newest run of a target, failed
    slots: list[str] = field(default_factory=list)  # ISO starts of the chart's buckets
    bets: list[str] = field(default_factory=list)
    wins: list[str] = field(default_factory=list)
    ggr: list[str] = field(default_factory=list)
    sessions: list[int] = field(default_factory=list)

    @property
    def attention(self) -> bool:
        return self.breaker != "closed" or self.stuck > 0

    @property
    def failing_certification(self) -> bool:
        return bool(self.failing_runs)

    @property
    def trouble(self) -> int:
        """0: breaker or stuck deliveries; 1: failing certification; 2: fine (the dashboard's order)."""
        return 0 if self.attention else (1 if self.failing_certification else 2)

    def chart(self, rng: ChartRange) -> dict:
        return {
            "range": rng.key,
            "bucket": rng.bucket,
            "currency": self.currency,
            "slots": self.slots,
            "bets": self.bets,
            "wins": self.wins,
            "ggr": self.ggr,
            "sessions": self.sessions,
        }


@dataclass(frozen=True)
class CurrencyTotals:
    """Today's confirmed money of one currency over the user's partners (the sum of their reconciliation rows)."""

    currency: str
    partners: int
    bets_count: int
    bets: Decimal
    wins: Decimal
    refunds: Decimal
    ggr: Decimal

    def formatted(self, name: str) -> str:
        return format_amount(getattr(self, name), self.currency)

    @property
    def bets_text(self) -> str:
        return self.formatted("bets")

    @property
    def wins_text(self) -> str:
        return self.formatted("wins")

    @property
    def refunds_text(self) -> str:
        return self.formatted("refunds")

    @property
    def ggr_text(self) -> str:
        return self.formatted("ggr")


@dataclass
class Overview:
    """What the dashboard shows: the tiles' figures, then the panels (trouble first)."""

    span: ChartRange
    panels: list[PartnerPanel]
    today: list[CurrencyTotals]
    stuck: int
    breakers_open: list[PartnerPanel]
    failing_certification: list[PartnerPanel]

    @property
    def attention(self) -> int:
        return sum(1 for p in self.panels if p.attention)

    @property
    def charted(self) -> list[PartnerPanel]:
        return [p for p in self.panels if p.slots]

    def charts(self) -> dict[str, dict]:
        return {str(p.partner.pk): p.chart(self.span) for p in self.charted}


def today_totals(panels: list[PartnerPanel]) -> list[CurrencyTotals]:
    """Per currency, the sums of the panels' reconciliation rows of today."""
    acc: dict[str, list] = {}
    for panel in panels:
        for row in panel.today:
            slot = acc.setdefault(row.currency, [0, 0, ZERO, ZERO, ZERO, ZERO])
            slot[0] += 1
            slot[1] += row.bets_count
            slot[2] += row.bets_sum
            slot[3] += row.wins_sum
            slot[4] += row.refunds_sum
            slot[5] += row.ggr
    return [
        CurrencyTotals(currency=cur, partners=n, bets_count=count, bets=bets, wins=wins, refunds=refunds, ggr=ggr)
        for cur, (n, count, bets, wins, refunds, ggr) in sorted(acc.items())
    ]


def _panel(partner: Partner, now: datetime) -> PartnerPanel:
    state = PartnerDeliveryState.objects.filter(partner=partner).values("open_until").first()
    open_until = state["open_until"] if state else None
    breaker = "closed" if open_until is None else ("open" if open_until > now else "probing")
    counts = pending_deliveries(transactions_for_partner(partner=partner)).aggregate(
        backlog=Count("pk"), stuck=Count("pk", filter=Q(stuck=True))
    )
    since = now - timedelta(hours=1)
    samples: list[tuple[int, str]] = []
    for model in (DeliveryAttempt, WalletCall):
        samples.extend(
            model.objects.filter(partner=partner, started_at__gte=since)
            .order_by("-started_at")
            .values_list("duration_ms", "outcome")[:SAMPLE]
        )
    failed = sum(1 for _, outcome in samples if outcome == AttemptOutcome.FAILED)
    panel = PartnerPanel(
        partner=partner,
        breaker=breaker,
        probe_at=open_until,
        backlog=counts["backlog"],
        stuck=counts["stuck"],
        calls_last_hour=len(samples),
        success_rate=round(100 * (len(samples) - failed) / len(samples), 1) if samples else None,
        p50_ms=percentile(sorted(ms for ms, _ in samples), 0.5),
        today=reconciliation_report(partner=partner, date=now.astimezone(UTC).date()),
        currency=partner.default_currency,
    )
    return panel


def _chart(panel: PartnerPanel, rng: ChartRange, now: datetime) -> None:
    starts = rng.starts(now)
    totals = period_totals(partner=panel.partner, start=starts[0], end=now + timedelta(seconds=1), bucket=rng.bucket)
    by_currency: dict[str, Decimal] = {}
    for (cur, _), t in totals.items():
        by_currency[cur] = by_currency.get(cur, ZERO) + t.bets
    if by_currency:
        panel.currency = max(by_currency, key=lambda c: by_currency[c])
    for start in starts:
        slot = totals.get((panel.currency, start))
        panel.slots.append(start.isoformat())
        panel.bets.append(format_amount(slot.bets, panel.currency) if slot else "0")
        panel.wins.append(format_amount(slot.wins, panel.currency) if slot else "0")
        panel.ggr.append(format_amount(slot.ggr, panel.currency) if slot else "0")
        panel.sessions.append(sum(v.sessions for (c, s), v in totals.items() if s == start))


def operations_overview(*, user: AnyUser, span: str | None = None, now: datetime | None = None) -> Overview:
    """The dashboard of the partners ``user`` may see (every partner for a superuser), its charts over ``span``
    (a key of :data:`RANGES`; anything else is 24 h)."""
    now = now or timezone.now()
    rng = chart_range(span)
    partners = list(partners_visible_to(user).select_related("account_manager"))
    # Trouble first needs each partner's state: the cheap part for all, the charts for the first CHARTED.
    panels = [_panel(p, now) for p in partners]
    failing = failing_certifications(partners=partners)
    for panel in panels:
        panel.failing_runs = failing.get(panel.partner.pk, [])
    panels.sort(key=lambda p: (p.trouble, p.partner.name.lower()))
    for panel in panels[:CHARTED]:
        _chart(panel, rng, now)
    return Overview(
        span=rng,
        panels=panels,
        today=today_totals(panels),
        stuck=sum(p.stuck for p in panels),
        breakers_open=[p for p in panels if p.breaker != "closed"],
        failing_certification=[p for p in panels if p.failing_certification],
    )


def operations_dashboard(*, user: AnyUser, span: str | None = None, now: datetime | None = None) -> list[PartnerPanel]:
    """The panels of the partners ``user`` may see: open breakers and stuck deliveries first, then the partners
    failing certification, then by name."""
    return operations_overview(user=user, span=span, now=now).panels
