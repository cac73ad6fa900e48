"""The hub's Prometheus metrics, read from the database at scrape time (served at /metrics by config/views.py).

The hub runs several processes (web workers, Celery workers, beat) on several
machines; in-process counters would each see a slice. The counts live in the
database, so a custom collector reads them when Prometheus scrapes, and every
process answers the same numbers. Transactions and delivery attempts are not
counted per scrape: database triggers keep running totals in the same
transaction as each change (wallet/tallies.py), and a scrape sums those.

- ``hub_delivery_attempts_total{outcome,kind}`` (counter): delivery attempts
  of wins and refunds by outcome (ok / declined / failed);
- ``hub_delivery_attempt_duration_seconds{outcome,kind}`` (histogram):
  attempt latency from ``DeliveryAttempt.duration_ms``. Cumulative over every
  attempt ever recorded (attempts removed by the retention stay counted), so
  the counter and the histogram stay monotonic and ``rate()`` /
  ``histogram_quantile()`` work as usual;
- ``hub_deliveries_pending`` / ``hub_deliveries_stuck`` (gauges): wins and
  refunds in the outbox, and those flagged stuck by the sweeper;
- ``hub_deliveries_oldest_pending_age_seconds`` (gauge): how late the oldest
  pending delivery is (0 when none);
- ``hub_transactions_total{kind,status}`` (gauge: a transaction moves between
  statuses, so a series can go down); real money only, demo sessions' play
  money is left out;
- ``hub_metrics_database_up`` (gauge): 0 when the database could not be read
  (the other hub metrics are then absent rather than wrong).

No partner label: /metrics is not tenant-scoped.

The pending-delivery gauges read the outbox's partial index. The rendered hub
metrics are also a snapshot kept in the cache for
``HUB_METRICS_CACHE_SECONDS`` (default 15; one snapshot for every process
when the cache is Redis), and a scrape inside that window runs no query.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from . import tallies
from .models import AttemptOutcome, TxKind, TxStatus
from .selectors import pending_deliveries
from .tallies import DURATION_BUCKETS

logger = logging.getLogger(__name__)


class HubCollector(Collector):
    """Reads the ledger at scrape time. Registered once; ``collect()`` runs per scrape."""

    def collect(self) -> Iterator[Metric]:
        try:
            families = list(self._families())
        except DatabaseError as exc:
            logger.warning("metrics: database unavailable: %s", type(exc).__name__)
            families = []
            up = 0
        else:
            up = 1
        yield from families
        yield GaugeMetricFamily(
            "hub_metrics_database_up", "1 when the hub metrics could be read from the database.", value=up
        )

    def _families(self) -> Iterator[Metric]:
        counted = tallies.read()
        rows = counted.attempt_rows()

        attempts = CounterMetricFamily(
            "hub_delivery_attempts", "Delivery attempts of wins and refunds by outcome.", labels=["outcome", "kind"]
        )
        duration = HistogramMetricFamily(
            "hub_delivery_attempt_duration_seconds",
            "Duration of delivery attempts (partner wallet calls for wins and refunds).",
            labels=["outcome", "kind"],
        )
        seen = set()
        for row in rows:
            labels = [row["outcome"], row["kind"] or ""]
            seen.add(tuple(labels))
            attempts.add_metric(labels, row["n"])
            buckets = [(le, row[f"le_{ms}"]) for le, ms in DURATION_BUCKETS] + [("+Inf", row["n"])]
            duration.add_metric(labels, buckets, sum_value=(row["total_ms"] or 0) / 1000)
        for outcome in AttemptOutcome.values:  # every series exists from the first scrape (no gaps in rate())
            for kind in (TxKind.WIN, TxKind.REFUND):
                if (outcome, kind) not in seen:
                    attempts.add_metric([outcome, kind], 0)
                    duration.add_metric(
                        [outcome, kind], [(le, 0) for le, _ in DURATION_BUCKETS] + [("+Inf", 0)], sum_value=0
                    )
        yield attempts
        yield duration

        pending = pending_deliveries()
        summary = pending.aggregate(n=Count("pk"), stuck=Count("pk", filter=Q(stuck=True)), oldest=Min("created_at"))
        yield GaugeMetricFamily(
            "hub_deliveries_pending", "Wins and refunds waiting for the partner's 200.", value=summary["n"]
        )
        yield GaugeMetricFamily(
            "hub_deliveries_stuck",
            "Pending deliveries older than HUB_STUCK_AFTER (flagged for account managers).",
            value=summary["stuck"],
        )
        age = 0
        if summary["oldest"] is not None:
            age = max(0, int((timezone.now() - summary["oldest"]).total_seconds()))
        yield GaugeMetricFamily(
            "hub_deliveries_oldest_pending_age_seconds",
            "Age of the oldest pending win or refund (0 when none).",
            value=age,
        )

        transactions = GaugeMetricFamily(
            "hub_transactions_total", "Transactions by kind and current status.", labels=["kind", "status"]
        )
        counts = counted.transactions  # real money only: demo sessions' play money is not counted
        for kind_value in TxKind.values:
            for status_value in TxStatus.values:
                transactions.add_metric([kind_value, status_value], counts.get((kind_value, status_value), 0))
        yield transactions


HUB_REGISTRY = CollectorRegistry(auto_describe=False)
HUB_REGISTRY.register(HubCollector())


SNAPSHOT_CACHE_KEY = "hub:metrics:snapshot"


def hub_metrics_snapshot() -> bytes:
    """The hub's database-backed metrics in the exposition format, computed at most once per
    HUB_METRICS_CACHE_SECONDS (the cache holds the rendered text). A cache outage only costs the queries."""
    seconds = settings.HUB_METRICS_CACHE_SECONDS
    if seconds <= 0:
        return generate_latest(HUB_REGISTRY)
    try:
        body = cache.get(SNAPSHOT_CACHE_KEY)
    except Exception as exc:  # noqa: BLE001 - the cache is an optimisation here
        logger.warning("metrics: cache unavailable: %s", type(exc).__name__)
        return generate_latest(HUB_REGISTRY)
    if body is None:
        body = generate_latest(HUB_REGISTRY)
        try:
            cache.set(SNAPSHOT_CACHE_KEY, body, seconds)
        except Exception as exc:  # noqa: BLE001
            logger.warning("metrics: cache unavailable: %s", type(exc).__name__)
    return body
