"""The ledger's monthly partitions (PostgreSQL) and the delivery log's retention (both databases).

wallet/migrations/0007_partition_ledger.py, wallet/partitions.py, ``manage.py ledger_partitions``.
"""

from __future__ import annotations

import csv
import gzip
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from wallet import partitions
from wallet.models import AttemptOutcome, DeliveryAttempt, Round, Transaction, TxKind, TxStatus
from wallet.reconciliation import reconciliation_report

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="partitions are PostgreSQL's")

OLD_DAY = date(2025, 3, 14)
OLD = datetime(2025, 3, 14, 12, tzinfo=UTC)


def _partition_of(table: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])  # noqa: S608 - a model's table
        return cursor.fetchone()[0]


@postgres_only
def test_the_ledger_and_the_delivery_log_are_partitioned_by_month():
    assert partitions.is_partitioned("wallet_transaction")
    assert partitions.is_partitioned("wallet_deliveryattempt")
    this_month = partitions.month_start(timezone.now())
    names = {p.name for p in partitions.partitions("wallet_transaction")}
    for add in range(4):  # this month and the three ahead exist from the migration on
        assert f"wallet_transaction_p{partitions.month_start(this_month, add):%Y%m}" in names
    assert "wallet_transaction_default" in names


@postgres_only
def test_the_money_constraints_hold_across_partitions(ledger, partner_a):
    """One bet and one win per round, one refund per bet: still refused when the rows sit in other months."""
    session = ledger.session(partner_a)
    bet, win = ledger.bet_and_win(session, "10.00", "5.00", at=OLD)  # rows now in the default partition
    refund_bet = ledger.tx(session, TxKind.BET, "3.00")
    ledger.tx(session, TxKind.REFUND, "3.00", refunds=refund_bet, at=OLD)
    assert _partition_of("wallet_transaction", bet.pk) == "wallet_transaction_default"
    fields = {"session": session, "partner": partner_a, "currency": "EUR", "amount": Decimal("1")}
    for kind, extra in ((TxKind.BET, {"round": bet.round}), (TxKind.WIN, {"round": bet.round})):
        with pytest.raises(IntegrityError, match="tx_one_bet_one_win_per_round"), transaction.atomic():
            Transaction.objects.create(kind=kind, **extra, **fields)
    with pytest.raises(IntegrityError, match="tx_one_refund_per_bet"), transaction.atomic():
        Transaction.objects.create(kind=TxKind.REFUND, round=refund_bet.round, refunds=refund_bet, **fields)
    # A ledger row's round and kind never change (that would slip past the guards).
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.filter(pk=win.pk).update(kind=TxKind.REFUND, refunds=bet)
    # A refund is still allowed for the other bet, and a second round takes its own bet.
    other = Round.objects.create(session=session, partner=partner_a)
    Transaction.objects.create(kind=TxKind.BET, round=other, **fields)


@postgres_only
def test_stranded_rows_move_to_their_month_and_reports_read_across_partitions(ledger, partner_a):
    session = ledger.session(partner_a)
    bet, win = ledger.bet_and_win(session, "10.00", "25.00", at=OLD)
    attempt = ledger.attempt(win)
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(started_at=OLD)
    recent, _ = ledger.bet_and_win(session, "2.00", "1.00")
    before = reconciliation_report(partner=partner_a, date=OLD_DAY)

    report = partitions.ensure_partitions()

    assert "wallet_transaction_p202503" in report.created
    assert "wallet_deliveryattempt_p202503" in report.created
    assert report.moved_from_default == 3  # the bet, the win and the attempt
    assert _partition_of("wallet_transaction", bet.pk) == "wallet_transaction_p202503"
    assert _partition_of("wallet_deliveryattempt", attempt.pk) == "wallet_deliveryattempt_p202503"
    assert _partition_of("wallet_transaction", recent.pk) == f"wallet_transaction_p{timezone.now():%Y%m}"
    assert reconciliation_report(partner=partner_a, date=OLD_DAY) == before
    assert (before[0].bets_sum, before[0].wins_sum) == (Decimal("10.00"), Decimal("25.00"))
    assert Transaction.objects.get(pk=win.pk).round_id == bet.round_id
    # The guards followed the rows: a second win of the moved round is still refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(
            kind=TxKind.WIN, round=bet.round, session=session, partner=partner_a, currency="EUR", amount=1
        )
    assert partitions.ensure_partitions().created == []  # idempotent


def test_old_delivery_attempts_are_archived_and_removed_transactions_kept(ledger, partner_a, tmp_path):
    session = ledger.session(partner_a)
    _, win = ledger.bet_and_win(session, "10.00", "25.00", at=OLD)
    old = [ledger.attempt(win, outcome=AttemptOutcome.FAILED) for _ in range(3)]
    DeliveryAttempt.objects.filter(pk__in=[a.pk for a in old]).update(started_at=OLD)
    boundary = ledger.attempt(win)  # 100 days ago: past the 90 days, in a month that is not wholly past
    DeliveryAttempt.objects.filter(pk=boundary.pk).update(started_at=timezone.now() - timedelta(days=100))
    fresh = ledger.attempt(win, outcome=AttemptOutcome.OK, http_status=200, error="")
    partitions.ensure_partitions()

    out = io.StringIO()
    call_command("ledger_partitions", "--retention-days", "90", "--archive-dir", str(tmp_path), stdout=out)

    assert list(DeliveryAttempt.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert Transaction.objects.filter(session=session).count() == 2  # the ledger is kept
    assert "4 delivery attempts removed" in out.getvalue()
    archived = []
    for path in sorted(tmp_path.glob("*.csv.gz")):
        with gzip.open(path, "rt", newline="") as fh:
            archived += [row["id"] for row in csv.DictReader(fh)]
    assert sorted(archived) == sorted(str(a.pk) for a in [*old, boundary])
    if connection.vendor == "postgresql":
        assert "dropped partition wallet_deliveryattempt_p202503" in out.getvalue()
        assert "wallet_deliveryattempt_p202503" not in {p.name for p in partitions.partitions("wallet_deliveryattempt")}
    else:
        assert not partitions.is_partitioned("wallet_deliveryattempt")  # SQLite keeps plain tables


def test_the_command_refuses_negative_numbers():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--retention-days"):
        call_command("ledger_partitions", "--retention-days", "-1")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_a_filled_ledger_and_back(ledger):
    """Today's plain tables with rows in them → partitioned (and back): every row, sum and guard kept.

    A million rows: ``python -m bench.partition_migration`` (hand-run); here a few thousand.
    """
    from .conftest import onboard

    partner_a = onboard("Alpha Casino", "alpha", None)  # no manager: a transactional test may run after a flush
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([("wallet", "0006_session_last_balance_at")])
    assert not partitions.is_partitioned("wallet_transaction")
    session = ledger.session(partner_a)
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO wallet_round (id, session_id, partner_id, status, free_rounds_id, created_at)
               SELECT md5('r' || g)::uuid, %s, %s, 'settled', '', %s - g * interval '1 hour'
                 FROM generate_series(1, 2000) g""",
            [session.pk, partner_a.pk, timezone.now()],
        )
        cursor.execute(
            """INSERT INTO wallet_transaction (id, round_id, session_id, partner_id, kind, amount, currency, tx_type,
                   free_rounds_id, status, finished, partner_tx_id, error_code, error_message, attempts,
                   last_error, stuck, resolution_note, created_at, updated_at, confirmed_at)
               SELECT md5(k || g)::uuid, md5('r' || g)::uuid, %s, %s, k, g %% 100 + 0.25, 'EUR', 'regular', '',
                      'confirmed', k = 'win', '', '', '', 1, '', false, '', %s - g * interval '1 hour', now(), now()
                 FROM generate_series(1, 2000) g, unnest(ARRAY['bet', 'win']) k""",
            [session.pk, partner_a.pk, timezone.now()],
        )
        cursor.execute(
            """INSERT INTO wallet_deliveryattempt (transaction_id, partner_id, started_at, duration_ms, outcome,
                   error, error_code)
               SELECT md5('win' || g)::uuid, %s, %s - g * interval '1 hour', 10, 'ok', '', ''
                 FROM generate_series(1, 2000) g""",
            [partner_a.pk, timezone.now()],
        )
        cursor.execute("SELECT count(*), sum(amount) FROM wallet_transaction")
        counted = cursor.fetchone()
        cursor.execute("SELECT max(id) FROM wallet_deliveryattempt")
        last_attempt = cursor.fetchone()[0]

    executor = MigrationExecutor(connection)
    executor.migrate(leaves)

    assert partitions.is_partitioned("wallet_transaction")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), sum(amount) FROM wallet_transaction")
        assert cursor.fetchone() == counted
        cursor.execute("SELECT count(DISTINCT tableoid) FROM wallet_transaction")
        assert cursor.fetchone()[0] >= 3  # 2,000 hours span three months at least
    assert DeliveryAttempt.objects.count() == 2000
    assert ledger.attempt(Transaction.objects.filter(kind=TxKind.WIN).first()).pk == last_attempt + 1
    some_bet = Transaction.objects.filter(kind=TxKind.BET).order_by("created_at").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(
            kind=TxKind.WIN, round_id=some_bet.round_id, session=session, partner=partner_a, currency="EUR", amount=1
        )

    executor = MigrationExecutor(connection)
    executor.migrate([("wallet", "0006_session_last_balance_at")])
    assert not partitions.is_partitioned("wallet_transaction")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), sum(amount) FROM wallet_transaction")
        assert cursor.fetchone() == counted
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(
            kind=TxKind.WIN, round_id=some_bet.round_id, session=session, partner=partner_a, currency="EUR", amount=1
        )
    MigrationExecutor(connection).migrate(leaves)
    assert partitions.is_partitioned("wallet_transaction")
    assert Transaction.objects.filter(status=TxStatus.CONFIRMED).count() == 4000
    assert uuid.UUID(str(some_bet.pk))


@postgres_only
def test_a_bet_and_its_delivery_update_the_ledger_row_in_its_own_month_only(ledger, partner_a, game):
    """An UPDATE of a ledger row by its id alone is planned and probed on every partition (the months of years,
    transactions are kept): the bet's confirmation and the delivery's outcome name the row's partition key too, so
    PostgreSQL prunes to the one month that holds it."""
    from unittest import mock

    from wallet import services
    from wallet.delivery import attempts, lease
    from wallet.transport import WalletResult

    ok = WalletResult("ok", http_status=200, balance=Decimal("90.00"), partner_tx_id="p-1")
    session = ledger.session(partner_a)
    ledger.tx(session, TxKind.WIN, "2.00", status=TxStatus.PENDING)  # a pending win, claimed below
    updates: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):
        if 'UPDATE "wallet_transaction"' in sql:
            updates.append((sql, params[0] if many else params))
        return execute(sql, params, many, context)

    with (
        mock.patch.object(services, "transport_for", return_value=mock.Mock(bet=lambda tx: ok)),
        connection.execute_wrapper(record),
    ):
        services.bet_place(session=session, amount=Decimal("1.00"))
        (claimed,) = lease.claim_batch(partner_a.pk, 10)
        attempts.record(partner_a.pk, [(claimed, timezone.now(), ok)])
    assert len(updates) == 3, updates  # the bet's confirmation, the win's lease and its outcome
    for sql, params in updates:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        if sql.startswith("WITH picked"):
            # The lease in the claim's statement, by the locked rows' ids and months (arrays from the same
            # statement): PostgreSQL prunes the other months while it runs (their scans never execute). Run
            # again on the win made due again, and undone.
            with transaction.atomic():
                Transaction.objects.filter(pk=claimed.pk).update(lease_until=None, status=TxStatus.PENDING)
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                transaction.set_rollback(True)
            leased = plan.split("CTE leased", 1)[1].splitlines()
            scanned = {
                line.split(" on ")[1].split()[0]
                for line in leased
                if " Scan " in line and "picked" not in line and "never executed" not in line
            }
            assert scanned == {f"wallet_transaction_p{claimed.created_at:%Y%m}"}, plan
            continue
        # The outcome's statement updates confirmed and retried rows in two clauses (CTEs); a clause with no row
        # to update is planned as nothing to run ("One-Time Filter: false").
        clauses = [c for c in plan.split("CTE ") if "Update on wallet_tr" in c and "One-Time Filter: false" not in c]
        assert len(clauses) == 1, (sql, plan)
        months = {line.split()[2] for line in clauses[0].splitlines() if line.strip().startswith("Update on wallet_tr")}
        assert len(months - {"wallet_transaction"}) == 1, (sql, plan)
