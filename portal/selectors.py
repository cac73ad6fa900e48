"""Reads of the partner portal, every one scoped to the link's partner.

- the delivery log: every call to the partner's wallet (bets and balance calls: ``WalletCall``; wins and
  refunds: ``DeliveryAttempt``), newest first, searchable by player, round or transaction id (ours or the
  partner's);
- endpoint health: success rate and p50/p99 latency per time bucket over the last hour, day and week (cached);
- the circuit breaker's state and when it will probe; stuck deliveries; the keys' fingerprints and expiry;
- (the partner's certification runs are ``certification.selectors``' reads, scoped by partner as these are).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import CharField, F, Q, QuerySet, Value
from django.utils import timezone

from tenants.models import Credential, CredentialPurpose, CredentialState, Partner, PartnerStatus
from wallet.dashboard import percentile
from wallet.models import AttemptOutcome, DeliveryAttempt, PartnerDeliveryState, Transaction, WalletCall
from wallet.selectors import stuck_deliveries, transactions_for_partner

from .models import PortalLink

LOG_COLUMNS = (
    "pk",
    "source",
    "call_kind",
    "started_at",
    "duration_ms",
    "http_status",
    "outcome",
    "error",
    "tx_id",
    "call_round_id",
    "call_player_id",
)
LOG_PAGE = 50
HEALTH_SAMPLE = 20_000  # calls per window and source read for the percentiles (the newest)
WINDOWS = {  # name → (length, bucket)
    "hour": (timedelta(hours=1), timedelta(minutes=5)),
    "day": (timedelta(days=1), timedelta(hours=1)),
    "week": (timedelta(days=7), timedelta(hours=6)),
}


def _open_links() -> QuerySet[PortalLink]:
    """Links that open a portal: not revoked, not expired, and their partner not suspended (a suspension by any
    path closes the portal at once; ``portal.services.portal_links_revoke_for_partner`` also revokes them)."""
    return (
        PortalLink.objects.select_related("partner")
        .filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
        .exclude(partner__status=PartnerStatus.SUSPENDED)
    )


def portal_link_for_token(token_hash: str) -> PortalLink | None:
    return _open_links().filter(token_hash=token_hash).first()


def portal_link_valid(link_id) -> PortalLink | None:
    try:
        pk = uuid.UUID(str(link_id))
    except (ValueError, TypeError):
        return None
    return _open_links().filter(pk=pk).first()


# ------------------------------------------------------------ delivery log --


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except (ValueError, AttributeError):
        return None


def _attempts(partner: Partner) -> QuerySet:
    return DeliveryAttempt.objects.filter(partner=partner).annotate(
        source=Value("delivery", output_field=CharField()),
        call_kind=F("transaction__kind"),
        tx_id=F("transaction_id"),
        call_round_id=F("transaction__round_id"),
        call_player_id=F("transaction__session__player_id"),
    )


def _calls(partner: Partner) -> QuerySet:
    return WalletCall.objects.filter(partner=partner).annotate(
        source=Value("call", output_field=CharField()),
        call_kind=F("kind"),
        tx_id=F("transaction_id"),
        call_round_id=F("round_id"),
        call_player_id=F("player_id"),
    )


def _searches(partner: Partner, q: str) -> tuple[list[Q], list[Q]]:
    """What ``q`` may be (a player, the partner's transaction id, one of our transaction or round ids) as filters of
    the attempts and of the calls, one per index that answers it: each runs as its own query (an OR across them,
    or across a UNION, is answered by no index: it reads the partner's whole log)."""
    if not q:
        return [Q()], [Q()]
    tx_ids = list(transactions_for_partner(partner=partner).filter(partner_tx_id=q).values_list("pk", flat=True)[:10])
    attempts = [Q(transaction__session__partner=partner, transaction__session__player_id=q)]
    calls = [Q(player_id=q)]
    as_id = _as_uuid(q)
    if as_id is not None:
        ledger = transactions_for_partner(partner=partner)
        tx_ids.append(as_id)
        tx_ids += ledger.filter(refunds_id=as_id).values_list("pk", flat=True)[:10]  # the refund of a bet
        round_txs = list(ledger.filter(round_id=as_id).values_list("pk", flat=True)[:50])
        if round_txs:
            attempts.append(Q(transaction_id__in=round_txs))
        calls.append(Q(round_id=as_id))
    if tx_ids:
        attempts.append(Q(transaction_id__in=tx_ids))
        calls.append(Q(transaction_id__in=tx_ids))
    return attempts, calls


@dataclass(frozen=True)
class LogPage:
    entries: list[dict]
    older: str  # the ``before`` cursor of the next page ("" when this is the last)


def delivery_log(*, partner: Partner, q: str = "", kind: str = "", before: datetime | None = None) -> LogPage:
    """Newest first, ``LOG_PAGE`` per page (``before``: the cursor the previous page returned).

    Each source (calls, attempts) and each reading of the search is its own index-backed query of at most a page,
    newest first; their rows are merged here."""
    q = (q or "").strip()[:200]
    attempt_filters, call_filters = _searches(partner, q)
    parts: list[QuerySet] = []
    if kind in ("", "bet", "balance"):
        calls = _calls(partner).filter(kind=kind) if kind else _calls(partner)
        parts += [calls.filter(match) for match in call_filters]
    if kind in ("", "win", "refund"):
        attempts = _attempts(partner).filter(transaction__kind=kind) if kind else _attempts(partner)
        parts += [attempts.filter(match) for match in attempt_filters]
    if before is not None:
        parts = [p.filter(started_at__lt=before) for p in parts]
    seen: dict[tuple[str, int], dict] = {}
    for part in parts:
        for row in part.order_by("-started_at").values(*LOG_COLUMNS)[: LOG_PAGE + 1]:
            seen[(row["source"], row["pk"])] = row
    rows = sorted(seen.values(), key=lambda row: row["started_at"], reverse=True)[: LOG_PAGE + 1]
    older = rows[LOG_PAGE - 1]["started_at"].isoformat() if len(rows) > LOG_PAGE else ""
    return LogPage(entries=rows[:LOG_PAGE], older=older)


def delivery_log_entry(*, partner: Partner, source: str, pk: int):
    """One entry with its request and response (None when it is not this partner's)."""
    if source == "delivery":
        return DeliveryAttempt.objects.filter(partner=partner, pk=pk).select_related("transaction__session").first()
    if source == "call":
        return WalletCall.objects.filter(partner=partner, pk=pk).select_related("transaction").first()
    return None


# ---------------------------------------------------------- endpoint health --


def endpoint_health(*, partner: Partner, window: str = "day", now: datetime | None = None) -> dict:
    """Per bucket: calls, success rate (calls that did not fail: what the breaker counts), p50 and p99 ms."""
    now = now or timezone.now()
    length, step = WINDOWS[window]
    start = now - length
    samples: list[tuple[datetime, int, str]] = []
    for model in (DeliveryAttempt, WalletCall):
        samples.extend(
            model.objects.filter(partner=partner, started_at__gte=start, started_at__lte=now)
            .order_by("-started_at")
            .values_list("started_at", "duration_ms", "outcome")[:HEALTH_SAMPLE]
        )
    n_buckets = int(length / step)
    buckets: list[list[tuple[int, str]]] = [[] for _ in range(n_buckets)]
    for started, ms, outcome in samples:
        index = min(n_buckets - 1, max(0, int((started - start) / step)))
        buckets[index].append((ms, outcome))
    series = []
    for i, rows in enumerate(buckets):
        durations = sorted(ms for ms, _ in rows)
        failed = sum(1 for _, outcome in rows if outcome == AttemptOutcome.FAILED)
        series.append(
            {
                "start": (start + i * step).isoformat(),
                "calls": len(rows),
                "success_rate": round(100 * (len(rows) - failed) / len(rows), 1) if rows else None,
                "p50_ms": percentile(durations, 0.50),
                "p99_ms": percentile(durations, 0.99),
            }
        )
    all_durations = sorted(ms for _, ms, _ in samples)
    failed_total = sum(1 for *_, outcome in samples if outcome == AttemptOutcome.FAILED)
    return {
        "window": window,
        "calls": len(samples),
        "success_rate": round(100 * (len(samples) - failed_total) / len(samples), 1) if samples else None,
        "p50_ms": percentile(all_durations, 0.50),
        "p99_ms": percentile(all_durations, 0.99),
        "series": series,
    }


def endpoint_health_windows(*, partner: Partner) -> dict[str, dict]:
    """:func:`endpoint_health` of every window, computed at most once per HUB_PORTAL_HEALTH_CACHE_SECONDS per
    partner (each window reads up to HEALTH_SAMPLE rows of each source; the figures may be that much old)."""
    ttl = int(settings.HUB_PORTAL_HEALTH_CACHE_SECONDS)
    key = f"portal:health:{partner.pk}"
    if ttl > 0 and (cached := cache.get(key)) is not None:
        return cached
    health = {name: endpoint_health(partner=partner, window=name) for name in WINDOWS}
    if ttl > 0:
        cache.set(key, health, timeout=ttl)
    return health


def breaker_status(*, partner: Partner, now: datetime | None = None) -> dict:
    """closed | open (nothing is sent until ``probe_at``) | probing (one call is testing the endpoint)."""
    now = now or timezone.now()
    state = PartnerDeliveryState.objects.filter(partner=partner).values("consecutive_failures", "open_until").first()
    if state is None or state["open_until"] is None:
        return {
            "state": "closed",
            "probe_at": None,
            "consecutive_failures": state["consecutive_failures"] if state else 0,
        }
    return {
        "state": "open" if state["open_until"] > now else "probing",
        "probe_at": state["open_until"],
        "consecutive_failures": state["consecutive_failures"],
    }


def stuck_deliveries_for(*, partner: Partner) -> QuerySet[Transaction]:
    return stuck_deliveries(transactions_for_partner(partner=partner)).select_related("session")


def keys_for(*, partner: Partner) -> list[dict]:
    """Fingerprints, state and expiry of the partner's keys that still verify. Never a secret."""
    now = timezone.now()
    rows = (
        Credential.objects.filter(partner=partner)
        .exclude(state=CredentialState.REVOKED)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("purpose", "-created_at")
        .values("purpose", "fingerprint", "state", "created_at", "expires_at", "last_used_at")
    )
    labels = dict(CredentialPurpose.choices)
    return [{**row, "purpose": labels.get(row["purpose"], row["purpose"])} for row in rows]
