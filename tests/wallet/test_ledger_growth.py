"""Cost as the ledger grows (issue #15; measured by ``python -m bench.ledger``): what changed for users."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
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
    assert "6 transactions" in body and "more than" not in body
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
