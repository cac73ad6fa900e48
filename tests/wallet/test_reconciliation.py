"""Reconciliation per partner, currency and UTC day: numbers on a constructed ledger, CSV, admin page, command."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from wallet.models import Transaction, TxKind, TxStatus
from wallet.reconciliation import reconciliation_csv, reconciliation_report

pytestmark = pytest.mark.django_db

DAY = date(2025, 3, 14)


def at(hour: int, minute: int = 0, second: int = 0, *, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def books(ledger, partner_a, partner_b):
    """partner_a's day in EUR, USD and BTC, with everything that must *not* count around it."""
    eur = ledger.session(partner_a, currency="EUR")
    usd = ledger.session(partner_a, currency="USD", player="player-2")
    btc = ledger.session(partner_a, currency="BTC", player="player-3")
    # Counted (EUR): bets 10.00 + 5.50 + 7.00 + 2.00 + 1.00, a win of 25.00, a refund of a confirmed bet (5.50).
    ledger.bet_and_win(eur, "10.00", "25.00", at=at(10))
    refunded = ledger.tx(eur, TxKind.BET, "5.50", at=at(11))
    ledger.tx(eur, TxKind.REFUND, "5.50", refunds=refunded, at=at(11, 5))
    ledger.bet_and_win(eur, "7.00", "1.00", at=at(12), win_status=TxStatus.PENDING)  # win not delivered yet
    # A bet the partner never confirmed (timeout), refunded just in case: a void refund, not GGR.
    failed = ledger.tx(eur, TxKind.BET, "3.00", status=TxStatus.DECLINED, at=at(13))
    ledger.tx(eur, TxKind.REFUND, "3.00", refunds=failed, at=at(13, 1))
    # A win created just before midnight and confirmed just after: it belongs to the next day.
    late_bet = ledger.tx(eur, TxKind.BET, "2.00", at=at(23, 59, 58))
    late_win = ledger.tx(eur, TxKind.WIN, "4.00", rnd=late_bet.round, at=at(23, 59, 59))
    Transaction.objects.filter(pk=late_win.pk).update(confirmed_at=at(0, 0, 30, day=DAY + timedelta(days=1)))
    # Not counted: resolved manually, demo money, the days around, another partner.
    ledger.bet_and_win(eur, "1.00", "9.00", at=at(14), win_status=TxStatus.RESOLVED)  # the bet counts
    ledger.bet_and_win(ledger.session(partner_a, demo=True), "50.00", "60.00", at=at(15))
    ledger.tx(eur, TxKind.BET, "100.00", at=at(23, 59, 59, day=DAY - timedelta(days=1)))
    ledger.tx(eur, TxKind.BET, "200.00", at=at(0, 0, 0, day=DAY + timedelta(days=1)))
    ledger.bet_and_win(ledger.session(partner_b), "999.00", "1.00", at=at(10))
    # USD: a bet and a zero win. BTC: crypto precision.
    ledger.bet_and_win(usd, "1.00", "0.00", at=at(9))
    ledger.bet_and_win(btc, "0.00012345", "0.0002", at=at(9))
    return partner_a


EXPECTED_CSV = (
    "partner_id,partner_slug,date,currency,bets_count,bets_sum,wins_count,wins_sum,refunds_count,refunds_sum,ggr,"
    "void_refunds_count,void_refunds_sum\r\n"
    "{pid},alpha-casino,2025-03-14,BTC,1,0.00012345,1,0.00020000,0,0.00000000,-0.00007655,0,0.00000000\r\n"
    "{pid},alpha-casino,2025-03-14,EUR,5,25.50,1,25.00,1,5.50,-5.00,1,3.00\r\n"
    "{pid},alpha-casino,2025-03-14,USD,1,1.00,1,0.00,0,0.00,1.00,0,0.00\r\n"
)


def test_report_numbers(books):
    rows = {r.currency: r for r in reconciliation_report(partner=books, date=DAY)}
    assert list(rows) == ["BTC", "EUR", "USD"]
    eur = rows["EUR"]
    assert (eur.bets_count, eur.bets_sum) == (5, Decimal("25.50"))
    assert (eur.wins_count, eur.wins_sum) == (1, Decimal("25.00"))
    assert (eur.refunds_count, eur.refunds_sum) == (1, Decimal("5.50"))
    assert eur.ggr == Decimal("-5.00") == eur.bets_sum - eur.wins_sum - eur.refunds_sum
    assert (eur.void_refunds_count, eur.void_refunds_sum) == (1, Decimal("3.00"))
    assert all(isinstance(v, Decimal) for v in (eur.bets_sum, eur.wins_sum, eur.refunds_sum, eur.ggr))
    assert rows["BTC"].ggr == Decimal("-0.00007655")
    assert (rows["USD"].wins_count, rows["USD"].wins_sum, rows["USD"].ggr) == (1, Decimal("0"), Decimal("1.00"))


def test_the_day_a_win_is_confirmed_is_the_day_it_counts(books):
    (eur,) = reconciliation_report(partner=books, date=DAY + timedelta(days=1))
    assert (eur.bets_count, eur.bets_sum, eur.wins_count, eur.wins_sum, eur.ggr) == (
        1,
        Decimal("200.00"),
        1,
        Decimal("4.00"),
        Decimal("196.00"),
    )


def test_empty_day_and_other_partner(books, partner_b):
    assert reconciliation_report(partner=books, date=DAY - timedelta(days=2)) == []
    (eur,) = reconciliation_report(partner=partner_b, date=DAY)
    assert (eur.bets_count, eur.bets_sum, eur.ggr) == (1, Decimal("999.00"), Decimal("998.00"))


def test_csv(books):
    assert reconciliation_csv(reconciliation_report(partner=books, date=DAY)) == EXPECTED_CSV.format(pid=books.pk)
    assert reconciliation_csv([]).startswith("partner_id,partner_slug,date,currency,")


# ------------------------------------------------------------------ command --


def run(*args) -> str:
    out = io.StringIO()
    call_command("reconcile", *args, stdout=out)
    return out.getvalue()


def test_command_csv_by_slug_and_by_uuid(books):
    expected = EXPECTED_CSV.format(pid=books.pk)
    assert run("--partner", "alpha-casino", "--date", "2025-03-14", "--csv") == expected
    assert run("--partner", str(books.pk), "--date", "2025-03-14", "--csv") == expected


def test_command_table(books):
    out = run("--partner", "alpha-casino", "--date", "2025-03-14")
    lines = out.splitlines()
    assert lines[0].startswith("Reconciliation: Alpha Casino (alpha-casino")
    assert lines[1].split() == [
        "currency",
        "bets_count",
        "bets_sum",
        "wins_count",
        "wins_sum",
        "refunds_count",
        "refunds_sum",
        "ggr",
        "void_refunds_count",
        "void_refunds_sum",
    ]
    assert lines[3].split() == ["EUR", "5", "25.50", "1", "25.00", "1", "5.50", "-5.00", "1", "3.00"]
    assert "No confirmed transactions" in run("--partner", "alpha-casino", "--date", "2020-01-01")


def test_command_errors(books):
    with pytest.raises(CommandError, match="No partner"):
        run("--partner", "nobody", "--date", "2025-03-14")
    with pytest.raises(CommandError, match="No partner"):
        run("--partner", "00000000-0000-4000-8000-000000000000", "--date", "2025-03-14")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--partner", "alpha-casino", "--date", "14.03.2025")


# -------------------------------------------------------------------- admin --

PAGE = "admin:wallet_transaction_reconciliation"


def test_admin_page_table_and_csv(client, manager_a, books):
    client.force_login(manager_a)
    resp = client.get(reverse(PAGE))
    assert resp.status_code == 200
    assert resp.context["rows"] is None  # just the form (yesterday preselected)
    resp = client.get(reverse(PAGE), {"partner": "alpha-casino", "date": "2025-03-14"})
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "<td>25.50</td>" in body
    assert "<td>-5.00</td>" in body
    assert "Download CSV" in body
    resp = client.get(reverse(PAGE), {"partner": "alpha-casino", "date": "2025-03-14", "format": "csv"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    assert resp["Content-Disposition"] == 'attachment; filename="reconciliation-alpha-casino-2025-03-14.csv"'
    assert resp.content.decode() == EXPECTED_CSV.format(pid=books.pk)


def test_admin_page_only_offers_own_partners(client, manager_a, books, partner_b):
    client.force_login(manager_a)
    resp = client.get(reverse(PAGE), {"partner": partner_b.slug, "date": "2025-03-14", "format": "csv"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/html")
    assert resp.context["form"].errors["partner"]
    assert resp.context["rows"] is None
    assert "999.00" not in resp.content.decode()
    assert "Bravo Casino" not in resp.content.decode()


def test_admin_page_bad_date(client, superuser, books):
    client.force_login(superuser)
    resp = client.get(reverse(PAGE), {"partner": "alpha-casino", "date": "yesterday"})
    assert resp.status_code == 200
    assert resp.context["form"].errors["date"]
