"""Prometheus metrics at /metrics, read from the database (a snapshot cached for HUB_METRICS_CACHE_SECONDS)."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import DatabaseError
from prometheus_client.parser import text_string_to_metric_families

from wallet.models import AttemptOutcome, Transaction, TxKind, TxStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_snapshot():
    """Each test starts without a cached snapshot (the cache outlives a test)."""
    cache.delete("hub:metrics:snapshot")
    yield
    cache.delete("hub:metrics:snapshot")


def scrape(client, **headers) -> dict:
    resp = client.get("/metrics", **headers)
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(resp.content.decode())
        for s in family.samples
    }


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def deliveries(ledger, partner_a, partner_b):
    a = ledger.session(partner_a)
    b = ledger.session(partner_b)
    _, win = ledger.bet_and_win(a, "10.00", "20.00", win_status=TxStatus.PENDING)
    Transaction.objects.filter(pk=win.pk).update(stuck=True)
    ledger.attempt(win, outcome=AttemptOutcome.FAILED, duration_ms=5000)  # a timeout: le 5.0
    ledger.attempt(win, outcome=AttemptOutcome.FAILED, duration_ms=7000)  # beyond the last bucket
    bet, win2 = ledger.bet_and_win(b, "5.00", "6.00", win_status=TxStatus.PENDING)
    ledger.attempt(win2, outcome=AttemptOutcome.OK, duration_ms=3, http_status=200, error="")
    ledger.attempt(win2, outcome=AttemptOutcome.OK, duration_ms=120, http_status=200, error="")
    Transaction.objects.filter(pk=win2.pk).update(status=TxStatus.CONFIRMED)
    refund = ledger.tx(b, TxKind.REFUND, "5.00", refunds=bet, status=TxStatus.PENDING)
    ledger.attempt(refund, outcome=AttemptOutcome.DECLINED, duration_ms=40, http_status=400)
    return win


def test_metrics_from_the_database(client, deliveries):
    s = scrape(client)
    assert value(s, "hub_delivery_attempts_total", outcome="failed", kind="win") == 2
    assert value(s, "hub_delivery_attempts_total", outcome="ok", kind="win") == 2
    assert value(s, "hub_delivery_attempts_total", outcome="declined", kind="refund") == 1
    assert value(s, "hub_delivery_attempts_total", outcome="ok", kind="refund") == 0  # every series, from the start

    h = "hub_delivery_attempt_duration_seconds"
    assert value(s, f"{h}_bucket", outcome="ok", kind="win", le="0.005") == 1
    assert value(s, f"{h}_bucket", outcome="ok", kind="win", le="0.1") == 1
    assert value(s, f"{h}_bucket", outcome="ok", kind="win", le="0.25") == 2
    assert value(s, f"{h}_count", outcome="ok", kind="win") == 2
    assert value(s, f"{h}_sum", outcome="ok", kind="win") == pytest.approx(0.123)
    assert value(s, f"{h}_bucket", outcome="failed", kind="win", le="2.5") == 0
    assert value(s, f"{h}_bucket", outcome="failed", kind="win", le="5.0") == 1
    assert value(s, f"{h}_bucket", outcome="failed", kind="win", le="+Inf") == 2
    assert value(s, f"{h}_sum", outcome="failed", kind="win") == pytest.approx(12.0)
    assert value(s, f"{h}_bucket", outcome="declined", kind="refund", le="0.05") == 1

    assert value(s, "hub_deliveries_pending") == 2  # A's stuck win and B's refund (bets are not deliveries)
    assert value(s, "hub_deliveries_stuck") == 1
    assert value(s, "hub_deliveries_oldest_pending_age_seconds") >= 0
    assert value(s, "hub_transactions_total", kind="bet", status="confirmed") == 2
    assert value(s, "hub_transactions_total", kind="win", status="pending") == 1
    assert value(s, "hub_transactions_total", kind="win", status="confirmed") == 1
    assert value(s, "hub_transactions_total", kind="refund", status="pending") == 1
    assert value(s, "hub_transactions_total", kind="refund", status="resolved") == 0
    assert value(s, "hub_metrics_database_up") == 1


def test_metrics_follow_the_database(client, deliveries):
    Transaction.objects.filter(pk=deliveries.pk).update(status=TxStatus.RESOLVED)
    s = scrape(client)
    assert value(s, "hub_deliveries_pending") == 1
    assert value(s, "hub_deliveries_stuck") == 0
    assert value(s, "hub_transactions_total", kind="win", status="resolved") == 1


def test_metrics_on_an_empty_ledger(client):
    s = scrape(client)
    assert value(s, "hub_deliveries_pending") == 0
    assert value(s, "hub_deliveries_oldest_pending_age_seconds") == 0
    assert value(s, "hub_delivery_attempts_total", outcome="ok", kind="win") == 0


def test_metrics_when_the_database_is_down(client):
    with mock.patch("wallet.metrics.tallies.read", side_effect=DatabaseError("down")):
        s = scrape(client)
    assert value(s, "hub_metrics_database_up") == 0
    assert not any(name.startswith("hub_deliveries") for name, _ in s)


def test_metrics_token(client, settings):
    settings.HUB_METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    s = scrape(client, HTTP_AUTHORIZATION="Bearer scrape-me")
    assert value(s, "hub_metrics_database_up") == 1


def test_a_scrape_within_the_cache_window_runs_no_query(client, deliveries, settings, django_assert_num_queries):
    settings.HUB_METRICS_CACHE_SECONDS = 15
    first = scrape(client)
    assert value(first, "hub_deliveries_pending") == 2
    Transaction.objects.filter(pk=deliveries.pk).update(status=TxStatus.RESOLVED)
    with django_assert_num_queries(0):  # no full-table aggregate per scrape
        second = scrape(client)
    hub = {k: v for k, v in first.items() if k[0].startswith("hub_")}
    assert {k: v for k, v in second.items() if k[0].startswith("hub_")} == hub  # the same snapshot


def test_the_snapshot_is_recomputed_after_the_window(client, deliveries, settings):
    settings.HUB_METRICS_CACHE_SECONDS = 1
    assert value(scrape(client), "hub_deliveries_pending") == 2
    Transaction.objects.filter(pk=deliveries.pk).update(status=TxStatus.RESOLVED)
    time.sleep(1.1)
    s = scrape(client)
    assert value(s, "hub_deliveries_pending") == 1
    assert value(s, "hub_transactions_total", kind="win", status="resolved") == 1
