"""The operations dashboard's reads: scoped to the account manager's partners, attention first, and the hourly
figures adding up to the reconciliation report across multi-currency, refunds, void refunds and demo play."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from wallet.dashboard import operations_dashboard
from wallet.models import PartnerDeliveryState, TxKind, TxStatus
from wallet.reconciliation import hourly_totals, reconciliation_report


def test_hours_of_a_day_add_up_to_the_reconciliation_report(partner_a, ledger):
    day = datetime(2026, 3, 4, tzinfo=UTC)
    eur, usd = ledger.session(partner_a), ledger.session(partner_a, currency="USD", player="p2")
    demo = ledger.session(partner_a, demo=True)
    for hour, (bet, win) in enumerate([("5.00", "7.50"), ("2.25", "0"), ("10.00", "1.10")]):
        ledger.bet_and_win(eur, bet, win, at=day + timedelta(hours=hour * 5, minutes=7))
    ledger.bet_and_win(usd, "3.00", "1.00", at=day + timedelta(hours=23, minutes=59))
    refunded = ledger.tx(eur, TxKind.BET, "4.00", at=day + timedelta(hours=2))
    ledger.tx(eur, TxKind.REFUND, "4.00", refunds=refunded, at=day + timedelta(hours=3))
    void = ledger.tx(eur, TxKind.BET, "6.00", status=TxStatus.DECLINED, at=day + timedelta(hours=4))
    ledger.tx(eur, TxKind.REFUND, "6.00", refunds=void, at=day + timedelta(hours=4))
    ledger.bet_and_win(demo, "9.00", "0", at=day + timedelta(hours=1))  # demo: not in either
    ledger.bet_and_win(eur, "50.00", "0", at=day + timedelta(days=1, minutes=1))  # the next day
    hours = hourly_totals(partner=partner_a, start=day, end=day + timedelta(days=1))
    report = {row.currency: row for row in reconciliation_report(partner=partner_a, date=day.date())}
    assert set(report) == {"EUR", "USD"}
    for cur, row in report.items():
        mine = [t for (c, _), t in hours.items() if c == cur]
        assert sum(t.bets for t in mine) == row.bets_sum
        assert sum(t.wins for t in mine) == row.wins_sum
        assert sum(t.refunds for t in mine) == row.refunds_sum
        assert sum(t.ggr for t in mine) == row.ggr
        assert sum(t.void_refunds for t in mine) == row.void_refunds_sum
        assert sum(t.bets_count for t in mine) == row.bets_count
    assert report["EUR"].ggr == Decimal("17.25") + Decimal("4.00") - Decimal("8.60") - Decimal("4.00")
    assert hours[("USD", day + timedelta(hours=23))].sessions == 1


def test_dashboard_is_scoped_and_puts_trouble_first(partner_a, partner_b, manager_a, superuser, ledger):
    ledger.bet_and_win(ledger.session(partner_a), "5.00", "2.00")
    mine = operations_dashboard(user=manager_a)
    assert [p.partner for p in mine] == [partner_a]
    assert mine[0].today[0].ggr == Decimal("3.00") and mine[0].currency == "EUR"
    assert sum(Decimal(v) for v in mine[0].bets) == Decimal("5.00") and len(mine[0].hours) == 24

    everyone = operations_dashboard(user=superuser)
    assert [p.partner.name for p in everyone] == ["Alpha Casino", "Bravo Casino"]
    PartnerDeliveryState.objects.create(partner=partner_b, open_until=timezone.now() + timedelta(seconds=30))
    everyone = operations_dashboard(user=superuser)
    assert [p.partner.name for p in everyone] == ["Bravo Casino", "Alpha Casino"]
    assert everyone[0].breaker == "open" and everyone[0].attention
