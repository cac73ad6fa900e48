"""The operations dashboard on the admin index (``templates/admin/index.html``): per partner the user may see,
bets, wins, GGR and active sessions per hour over the last 24 hours (``reconciliation.hourly_totals``: the same
rules as the reconciliation report, so a UTC day's hours add up to its report), today's report, and delivery
health over the last hour (success rate, p50 latency, backlog, stuck rows, the breaker). Partners with an open
breaker or stuck deliveries come first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from tenants.models import Partner
from tenants.selectors import partners_visible_to

from .models import AttemptOutcome, DeliveryAttempt, PartnerDeliveryState, WalletCall
from .reconciliation import ReconciliationRow, format_amount, hourly_totals, reconciliation_report
from .selectors import AnyUser, pending_deliveries, transactions_for_partner

HOURS = 24
CHARTED = 20  # partners with a chart (the rest are rows of the table)
SAMPLE = 20_000  # newest calls per source read for the last hour's success rate and p50


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
    hours: list[str] = field(default_factory=list)
    bets: list[str] = field(default_factory=list)
    wins: list[str] = field(default_factory=list)
    ggr: list[str] = field(default_factory=list)
    sessions: list[int] = field(default_factory=list)

    @property
    def attention(self) -> bool:
        return self.breaker != "closed" or self.stuck > 0

    def chart(self) -> dict:
        return {
            "currency": self.currency,
            "hours": self.hours,
            "bets": self.bets,
            "wins": self.wins,
            "ggr": self.ggr,
            "sessions": self.sessions,
        }


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


def _chart(panel: PartnerPanel, now: datetime) -> None:
    first = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    totals = hourly_totals(partner=panel.partner, start=first, end=now + timedelta(seconds=1))
    by_currency: dict[str, Decimal] = {}
    for (cur, _), t in totals.items():
        by_currency[cur] = by_currency.get(cur, Decimal(0)) + t.bets
    if by_currency:
        panel.currency = max(by_currency, key=lambda c: by_currency[c])
    for i in range(HOURS):
        hour = first + timedelta(hours=i)
        slot = totals.get((panel.currency, hour))
        panel.hours.append(hour.isoformat())
        panel.bets.append(format_amount(slot.bets, panel.currency) if slot else "0")
        panel.wins.append(format_amount(slot.wins, panel.currency) if slot else "0")
        panel.ggr.append(format_amount(slot.ggr, panel.currency) if slot else "0")
        panel.sessions.append(sum(v.sessions for (c, h), v in totals.items() if h == hour))


def operations_dashboard(*, user: AnyUser, now: datetime | None = None) -> list[PartnerPanel]:
    """The panels of the partners ``user`` may see: open breakers and stuck deliveries first, then by name."""
    now = now or timezone.now()
    partners = list(partners_visible_to(user).select_related("account_manager"))
    # Attention first needs each partner's state: the cheap part for all, the charts for the first CHARTED.
    panels = [_panel(p, now) for p in partners]
    panels.sort(key=lambda p: (not p.attention, p.partner.name.lower()))
    for panel in panels[:CHARTED]:
        _chart(panel, now)
    return panels
