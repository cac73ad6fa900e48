"""Cost as the ledger grows (measured by ``python -m bench.ledger``): what changed for users."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from wallet import delivery
from wallet.admin import LedgerPaginator
from wallet.models import TxKind, TxStatus

pytestmark = pytest.mark.django_db


def test_sweeper_kicks_a_partner_once_however_many_rows_are_due(ledger, partner_a, partner_b):
    # Before: DISTINCT partner_id also took the model's ordering (-created_at), so a partner with n due
    # rows created at n instants was kicked n times per sweep (up to 2,000 kicks of one partner).
    now = timezone.now()
    for partner in (partner_a, partner_b):
        session = ledger.session(partner)
        for i in range(3):
            ledger.tx(session, TxKind.WIN, "1.00", status=TxStatus.PENDING, at=now - timedelta(seconds=i + 1))
    with mock.patch("wallet.outbox.kick", return_value=True) as kick:
        result = delivery.sweep()
    assert sorted(call.args[0] for call in kick.call_args_list) == sorted([partner_a.pk, partner_b.pk])
    assert result["kicked"] == 2


def test_transaction_list_counts_at_most_the_cap_and_says_so(
    client, superuser, ledger, partner_a, monkeypatch, django_assert_max_num_queries
):
    client.force_login(superuser)
    session = ledger.session(partner_a)
    for _ in range(3):
        ledger.bet_and_win(session, "1.00", "2.00")
    url = reverse("admin:wallet_transaction_changelist")
    body = client.get(url).content.decode()
    assert "6 transactions" in body
    assert "more than" not in body
    monkeypatch.setattr(LedgerPaginator, "COUNT_CAP", 4)
    with django_assert_max_num_queries(12) as queries:
        resp = client.get(url, {"partner": str(partner_a.pk), "status__exact": "confirmed"})
    assert resp.status_code == 200
    assert "more than 4 transactions" in resp.content.decode()
    assert len(resp.context["cl"].result_list) == 6  # the first page still lists every row it has
    ledger_sql = [q["sql"] for q in queries.captured_queries if "wallet_transaction" in q["sql"]]
    # no whole-ledger scans per page: the count is bounded, no date_hierarchy MIN/MAX or DISTINCT year
    assert all("LIMIT" in sql for sql in ledger_sql if "COUNT(" in sql)
    assert not any("MIN(" in sql or "DATE_TRUNC" in sql.upper() or "django_datetime_trunc" in sql for sql in ledger_sql)


def _ledger_indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'wallet_transaction'")
        return dict(cursor.fetchall())


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the partitioned ledger's indexes")
def test_a_ledger_write_maintains_no_index_that_another_one_already_serves():
    # A bet's confirmation changes indexed columns, so it is never a HOT update: each ledger UPDATE and INSERT
    # writes an entry into every index whose predicate holds. An index that is the leading prefix of another
    # one (partner_id alone, under (partner_id, created_at)), a LIKE index on a status nothing pattern-matches,
    # or an index over a column that is NULL on every bet (refunds_id) is paid for by every bet and read by
    # no query.
    indexes = _ledger_indexes()
    columns = {name: re.search(r"USING btree \((.*?)\)", d).group(1) for name, d in indexes.items()}
    full = {name: cols for name, cols in columns.items() if " WHERE " not in indexes[name]}
    redundant = [
        (name, other)
        for name, cols in full.items()
        for other, other_cols in full.items()
        if other != name and other_cols.startswith(cols + ",") and "UNIQUE" not in indexes[name]
    ]
    assert redundant == []
    assert [name for name, d in indexes.items() if "pattern_ops" in d] == []
    refunds = [d for d in indexes.values() if "(refunds_id)" in d]
    assert len(refunds) == 1
    assert "WHERE (refunds_id IS NOT NULL)" in refunds[0]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the partitioned ledger's indexes")
def test_a_refund_is_still_found_by_its_bet_through_an_index(ledger, partner_a):
    session = ledger.session(partner_a)
    bet, _win = ledger.bet_and_win(session, "1.00", "2.00")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM wallet_transaction WHERE refunds_id = %s", [bet.pk])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # each month's partition has its own copy of the parent's index, named after the partition
    assert "Seq Scan" not in plan, plan
    assert "refunds_id_idx" in plan, plan
