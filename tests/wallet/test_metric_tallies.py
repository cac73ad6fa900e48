"""The running totals behind /metrics (wallet/tallies.py, migration 0011) count what a scan of the ledger counts.

Each step compares ``tallies.read()`` (the trigger-written deltas) with ``tallies.scan()`` (today's whole-table
count, the old /metrics query), so a trigger that misses or double-counts a change fails here.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from core.errors import UpstreamUnavailable
from tenants import services as tenant_services
from tests.conftest import run_together
from wallet import partitions, services, tallies
from wallet.models import AttemptOutcome, MetricTally, Transaction, TxKind, TxStatus
from wallet.transport import WalletResult

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL")


class FakeWallet:
    """The partner's wallet: answers every bet with ``outcome`` (no HTTP)."""

    outcome = "ok"

    def bet(self, tx):
        if self.outcome == "ok":
            return WalletResult("ok", http_status=200, balance=Decimal("100.00"), partner_tx_id=uuid.uuid4().hex)
        return WalletResult(self.outcome, http_status=500, error="HTTP 500", message="down")


@pytest.fixture
def wallet():
    fake = FakeWallet()
    with mock.patch("wallet.services.transport_for", return_value=fake):
        yield fake


def assert_tallies_match_the_scan():
    assert tallies.read().as_dict() == tallies.scan().as_dict()


def real_session(partner, game, player="p-1"):
    return services.session_create(
        protocol="igsp",
        partner=partner,
        game=game,
        player_id=player,
        currency="EUR",
        partner_session_ref=f"ref-{uuid.uuid4().hex[:12]}",
        balance=Decimal("100.00"),
    ).session


def scrape(client) -> dict:
    cache.delete("hub:metrics:snapshot")
    body = client.get("/metrics").content.decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def test_the_triggers_bucket_attempts_as_the_histogram_reads_them():
    """The migration's triggers hold their own frozen copy of the histogram's bounds (a migration must not import
    code that changes later): the two lists must stay the same, or /metrics mislabels every new attempt."""
    import importlib

    migration = importlib.import_module("wallet.migrations.0011_metric_tallies")
    assert [(ms, label) for label, ms in tallies.DURATION_BUCKETS] == list(migration.BUCKETS)


@pytest.mark.django_db
def test_the_tally_triggers_exist():
    """A migration that rebuilds the ledger or the delivery log drops its triggers: it must create them again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'wallet_transaction'::regclass")
            on_ledger = {row[0] for row in cursor.fetchall()}
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'wallet_deliveryattempt'::regclass")
            on_attempts = {row[0] for row in cursor.fetchall()}
        else:
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
            rows = cursor.fetchall()
            on_ledger = {name for name, table in rows if table == "wallet_transaction"}
            on_attempts = {name for name, table in rows if table == "wallet_deliveryattempt"}
    if connection.vendor == "postgresql":
        assert {"wallet_tally_tx_insert", "wallet_tally_tx_delete", "wallet_tally_tx_status"} <= on_ledger
        assert {"wallet_tx_guard_insert", "wallet_tx_guard_update", "wallet_tx_guard_delete"} <= on_ledger
    else:
        assert {"wallet_tally_tx", "wallet_tally_tx_status"} <= on_ledger
    assert "wallet_tally_attempt" in on_attempts


@pytest.mark.django_db
def test_a_bet_a_confirm_and_a_refund_move_the_tallies_as_the_scan(wallet, ledger, partner_a, game):
    session = real_session(partner_a, game)
    bet = services.bet_place(session=session, amount=Decimal("5.00"))  # pending, then confirmed
    assert tallies.read().transactions[("bet", "confirmed")] == 1
    assert tallies.read().transactions[("bet", "pending")] == 0
    assert_tallies_match_the_scan()

    win = services.win_record(round=bet.round, amount=Decimal("7.00"))  # pending in the outbox
    ledger.attempt(win, outcome=AttemptOutcome.FAILED, duration_ms=7000)
    ledger.attempt(win, outcome=AttemptOutcome.OK, duration_ms=25, http_status=200, error="")
    Transaction.objects.filter(pk=win.pk).update(status=TxStatus.CONFIRMED)  # as the delivery confirms it
    Transaction.objects.filter(pk=win.pk).update(status=TxStatus.CONFIRMED, attempts=2)  # no change: no delta
    assert_tallies_match_the_scan()

    wallet.outcome = "failed"
    with pytest.raises(UpstreamUnavailable):
        services.bet_place(session=session, amount=Decimal("3.00"))  # declined, refund in the outbox
    assert tallies.read().transactions[("bet", "declined")] == 1
    assert tallies.read().transactions[("refund", "pending")] == 1
    refund = Transaction.objects.get(kind=TxKind.REFUND)
    ledger.attempt(refund, outcome=AttemptOutcome.DECLINED, duration_ms=5, http_status=400)
    Transaction.objects.filter(pk=refund.pk).update(status=TxStatus.RESOLVED)
    assert_tallies_match_the_scan()

    demo = ledger.session(partner_a, demo=True, player="demo")
    services.bet_place(session=demo, amount=Decimal("1.00"))  # play money: not counted, as before
    ledger.tx(demo, TxKind.BET, "1.00", status=TxStatus.PENDING)
    assert tallies.read().transactions[("bet", "confirmed")] == 1
    assert_tallies_match_the_scan()

    # A row moved to another partition (PostgreSQL runs it as a DELETE and an INSERT) is counted once.
    Transaction.objects.filter(pk=bet.transaction.pk).update(created_at=timezone.now() - timedelta(days=400))
    assert_tallies_match_the_scan()

    tallies.fold()
    settled = [key for key in tallies.read().transactions if key[1] != TxStatus.PENDING]  # pending: counted live
    assert MetricTally.objects.count() == len(settled) + sum(len(v) for v in tallies.read().attempts.values())
    assert_tallies_match_the_scan()


@pytest.mark.django_db
def test_a_bet_writes_one_tally_delta_and_its_confirmation_runs_no_guard(wallet, partner_a, game):
    """A bet's pending insert writes no delta (pending rows are counted live) and its confirmation one; on
    PostgreSQL the confirming UPDATE runs no guard (it sets no round, kind or refunded bet): two trigger
    functions per bet, not four. A change of a row's kind is still refused."""
    session = real_session(partner_a, game)
    MetricTally.objects.all().delete()
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET track_functions = 'pl'")
    with transaction.atomic():  # pg_stat_xact_user_functions counts the calls of the current transaction
        bet = services.bet_place(session=session, amount=Decimal("5.00"))
        calls = {}
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT funcname, calls FROM pg_stat_xact_user_functions")
                calls = dict(cursor.fetchall())
    deltas = list(MetricTally.objects.values_list("kind", "status", "n"))
    assert deltas == [("bet", "confirmed", 1)]
    assert tallies.read().transactions[("bet", "confirmed")] == 1
    if postgres:
        assert calls == {"wallet_tx_guard": 1, "wallet_tally_tx": 1}  # the insert's guard, the confirm's tally
        with connection.cursor() as cursor:
            cursor.execute("RESET track_functions")
        with pytest.raises(IntegrityError, match="never change"), transaction.atomic():
            Transaction.objects.filter(pk=bet.transaction.pk).update(kind=TxKind.WIN)
        assert Transaction.objects.get(pk=bet.transaction.pk).kind == TxKind.BET


@pytest.mark.django_db
def test_pending_rows_are_counted_live_in_the_scrape(wallet, partner_a, game):
    """Between its insert and its confirmation a bet is pending on /metrics, though no delta says so."""
    session = real_session(partner_a, game)
    seen = []

    def bet(tx):
        seen.append(tallies.read().transactions[("bet", "pending")])
        return FakeWallet().bet(tx)

    wallet.bet = bet
    services.bet_place(session=session, amount=Decimal("5.00"))
    assert seen == [1]
    assert tallies.read().transactions[("bet", "pending")] == 0
    assert not MetricTally.objects.filter(status=TxStatus.PENDING).exclude(n=0).exists()


@pytest.mark.django_db
def test_the_migration_fill_counts_existing_rows(ledger, partner_a, partner_b):
    """The tallies of rows written before the triggers existed: 0011's fill, as ``recount`` redoes it."""
    a = ledger.session(partner_a)
    _bet, win = ledger.bet_and_win(a, "10.00", "20.00", win_status=TxStatus.PENDING)
    ledger.attempt(win, duration_ms=120)
    ledger.attempt(win, outcome=AttemptOutcome.OK, duration_ms=3, http_status=200, error="")
    before = tallies.read().as_dict()
    MetricTally.objects.all().delete()  # as if the rows had been bulk-loaded with the triggers off
    assert tallies.read().as_dict() != before
    tallies.recount()
    assert tallies.read().as_dict() == before == tallies.scan().as_dict()

    from importlib import import_module

    fill = import_module("wallet.migrations.0011_metric_tallies").FILL_SQL
    cancel = import_module("wallet.migrations.0014_ledger_triggers_off_the_bet").CANCEL_PENDING
    MetricTally.objects.all().delete()
    with connection.cursor() as cursor:
        for sql in [*fill, cancel]:  # as the migrations run them: 0011 counted pending rows, 0014 cancels them
            cursor.execute(sql)
    assert tallies.read().as_dict() == before


@pytest.mark.django_db
def test_retention_never_decreases_the_attempt_counter(client, ledger, partner_a, tmp_path):
    """Old attempts archived and removed (a dropped partition on PostgreSQL, a DELETE on SQLite): the counter
    and the histogram keep them (Prometheus counters only go up; the scan they replace went down)."""
    old = timezone.now() - timedelta(days=200)
    session = ledger.session(partner_a)
    _, win = ledger.bet_and_win(session, "1.00", "2.00", at=old)
    for ms in (3, 40, 900):
        attempt = ledger.attempt(win, outcome=AttemptOutcome.OK, duration_ms=ms, http_status=200, error="")
        type(attempt).objects.filter(pk=attempt.pk).update(started_at=old)
    partitions.ensure_partitions()  # the old month gets its own partition (dropped whole below)
    before = scrape(client)
    key = ("hub_delivery_attempts_total", (("kind", "win"), ("outcome", "ok")))
    assert before[key] == 3
    report = partitions.expire_attempts(retention_days=90, archive_dir=tmp_path)
    assert report.attempts_removed == 3
    after = scrape(client)
    hub = {k: v for k, v in before.items() if k[0].startswith("hub_delivery_attempt")}
    assert {k: v for k, v in after.items() if k[0].startswith("hub_delivery_attempt")} == hub


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_several_connections_sum_correctly(wallet, ledger, game):
    """Bets, wins, confirms and refunds from several threads (own connections), with folds in between."""
    partner = tenant_services.partner_onboard(
        name=f"Tally {uuid.uuid4().hex[:6]}", actor="test", igsp=True, public_api=False,
        default_currency="EUR", allowed_currencies=["USD"], igsp_hooks_url="https://hooks.tally.example/igsp",
    ).partner  # fmt: skip
    sessions = [real_session(partner, game, player=f"p-{i}") for i in range(4)]

    def play(session):
        for i in range(15):
            bet = services.bet_place(session=session, amount=Decimal("1.00"))
            win = services.win_record(round=bet.round, amount=Decimal("1.50"))
            ledger.attempt(win, outcome=AttemptOutcome.OK, duration_ms=10 * i, http_status=200, error="")
            Transaction.objects.filter(pk=win.pk).update(status=TxStatus.CONFIRMED)
            if i % 5 == 0:
                services.refund_record(bet_tx=bet.transaction)

    def fold():
        for _ in range(10):
            tallies.fold()

    # every writer (one thread a session) and the folder (the last thread) begin together
    run_together(len(sessions) + 1, lambda i: play(sessions[i]) if i < len(sessions) else fold(), timeout=120)
    counted = tallies.read()
    assert counted.transactions[("bet", "confirmed")] == 60
    assert counted.transactions[("win", "confirmed")] == 60
    assert counted.transactions[("refund", "pending")] == 12
    assert counted.attempt_rows()[0]["n"] == 60
    assert_tallies_match_the_scan()
    tallies.fold()
    assert_tallies_match_the_scan()


@pytest.mark.django_db(transaction=True)
def test_the_test_runners_flush_leaves_no_tally_behind(ledger, game):
    """A transactional test ends with a flush (tests/conftest.py: DELETE on PostgreSQL): the ledger's DELETE trigger
    writes -1 deltas, so the tally table must be emptied after the ledger, or the next test starts below zero."""
    from django.core.management.color import no_style

    partner = tenant_services.partner_onboard(
        name="Flushed", actor="test", igsp=True, public_api=False, default_currency="EUR", allowed_currencies=[],
        igsp_hooks_url="https://hooks.flushed.example/igsp",
    ).partner  # fmt: skip
    ledger.tx(ledger.session(partner), TxKind.BET, "1.00", status=TxStatus.CONFIRMED)
    assert tallies.read().transactions[("bet", "confirmed")] == 1
    tables = ["wallet_metrictally", "wallet_transaction", "wallet_round", "wallet_gamesession"]  # any order
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in connection.ops.sql_flush(no_style(), tables):
            cursor.execute(sql)
    assert not MetricTally.objects.exists()
