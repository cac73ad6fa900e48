"""The operations dashboard's reads: scoped to the account manager's partners, trouble first, the headline tiles
equal to the reconciliation reports' figures, and the hourly and daily buckets adding up to the reconciliation
report across multi-currency, refunds, void refunds and demo play."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from certification.models import CertificationRun, RunStatus
from tenants.models import ExtClient
from wallet.dashboard import RANGES, chart_range, operations_dashboard, operations_overview
from wallet.models import PartnerDeliveryState, TxKind, TxStatus
from wallet.reconciliation import format_amount, hourly_totals, period_totals, reconciliation_report
from wallet.selectors import stuck_deliveries_count_for


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
    assert mine[0].today[0].ggr == Decimal("3.00")
    assert mine[0].currency == "EUR"
    assert sum(Decimal(v) for v in mine[0].bets) == Decimal("5.00")
    assert len(mine[0].slots) == 24

    everyone = operations_dashboard(user=superuser)
    assert [p.partner.name for p in everyone] == ["Alpha Casino", "Bravo Casino"]
    PartnerDeliveryState.objects.create(partner=partner_b, open_until=timezone.now() + timedelta(seconds=30))
    everyone = operations_dashboard(user=superuser)
    assert [p.partner.name for p in everyone] == ["Bravo Casino", "Alpha Casino"]
    assert everyone[0].breaker == "open"
    assert everyone[0].attention


def run(partner, status, *, minutes_ago, protocol="igsp", ext_client=None):
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    return CertificationRun.objects.create(
        partner=partner,
        protocol=protocol,
        ext_client=ext_client,
        target_url="https://hooks.example/igsp",
        currency="EUR",
        hub_version="test",
        status=status,
        finished_at=finished,
    )


def play_today(ledger, partner_a, partner_b):
    """Both partners play today in EUR; A also in USD, with a refund of a confirmed bet and a void refund."""
    now = timezone.now()
    a_eur, a_usd = ledger.session(partner_a), ledger.session(partner_a, currency="USD", player="p2")
    b_eur = ledger.session(partner_b, player="p3")
    ledger.bet_and_win(a_eur, "5.00", "7.50", at=now)
    ledger.bet_and_win(a_usd, "3.00", "1.00", at=now)
    refunded = ledger.tx(a_eur, TxKind.BET, "4.00", at=now)
    ledger.tx(a_eur, TxKind.REFUND, "4.00", refunds=refunded, at=now)
    void = ledger.tx(a_eur, TxKind.BET, "6.00", status=TxStatus.DECLINED, at=now)
    ledger.tx(a_eur, TxKind.REFUND, "6.00", refunds=void, at=now)
    ledger.bet_and_win(b_eur, "10.00", "1.10", at=now)
    ledger.bet_and_win(ledger.session(partner_b, demo=True), "9.00", "0", at=now)  # demo: in no figure
    ledger.tx(b_eur, TxKind.WIN, "2.00", status=TxStatus.PENDING, stuck=True)  # stuck: in no sum either
    ledger.tx(a_eur, TxKind.WIN, "3.00", status=TxStatus.PENDING)  # backlog, not stuck


def test_tiles_are_the_reconciliation_reports_figures(partner_a, partner_b, manager_a, superuser, ledger):
    play_today(ledger, partner_a, partner_b)
    today = timezone.now().astimezone(UTC).date()
    for user, partners in ((superuser, [partner_a, partner_b]), (manager_a, [partner_a])):
        overview = operations_overview(user=user)
        rows = [row for p in partners for row in reconciliation_report(partner=p, date=today)]
        expected = {}
        for row in rows:
            cur = expected.setdefault(row.currency, [Decimal(0)] * 4)
            for i, name in enumerate(("bets_sum", "wins_sum", "refunds_sum", "ggr")):
                cur[i] += getattr(row, name)
        assert {t.currency: [t.bets, t.wins, t.refunds, t.ggr] for t in overview.today} == expected
        assert {t.currency: t.bets_count for t in overview.today} == {
            cur: sum(r.bets_count for r in rows if r.currency == cur) for cur in expected
        }
        assert overview.stuck == stuck_deliveries_count_for(user)
    overview = operations_overview(user=superuser)
    eur = next(t for t in overview.today if t.currency == "EUR")
    # A: 5 + 4 bets, 7.50 won, 4 refunded; B: 10 bet, 1.10 won (the demo, the void refund and pending wins: none)
    assert (eur.bets, eur.wins, eur.refunds, eur.ggr) == (
        Decimal("19.00"),
        Decimal("8.60"),
        Decimal("4.00"),
        Decimal("6.40"),
    )
    assert (eur.bets_text, eur.ggr_text, eur.partners) == ("19.00", "6.40", 2)
    assert overview.stuck == 1
    assert [t.currency for t in operations_overview(user=manager_a).today] == ["EUR", "USD"]
    assert operations_overview(user=manager_a).stuck == 0  # B's stuck win is not A's manager's


def test_breakers_and_failing_certification_tiles_and_order(partner_a, partner_b, manager_a, superuser, game):
    ext = ExtClient.objects.create(partner=partner_a, ext_cid="alpha-eu", base_url="https://api.alpha.example/")
    run(partner_a, RunStatus.FAILED, minutes_ago=30)
    run(partner_a, RunStatus.PASSED, minutes_ago=10)  # a later pass clears IGSP
    run(partner_b, RunStatus.PASSED, minutes_ago=30)
    failed = run(partner_b, RunStatus.FAILED, minutes_ago=10)
    running = run(partner_b, RunStatus.RUNNING, minutes_ago=1)
    CertificationRun.objects.filter(pk=running.pk).update(finished_at=None)  # still running: no verdict yet
    overview = operations_overview(user=superuser)
    assert [p.partner for p in overview.failing_certification] == [partner_b]
    assert [r.pk for r in overview.failing_certification[0].failing_runs] == [failed.pk]
    assert [p.partner.name for p in overview.panels] == ["Bravo Casino", "Alpha Casino"]  # failing first
    assert overview.breakers_open == []

    errored = run(partner_a, RunStatus.ERROR, minutes_ago=5, protocol="public_api", ext_client=ext)
    PartnerDeliveryState.objects.create(partner=partner_a, open_until=timezone.now() + timedelta(seconds=30))
    overview = operations_overview(user=superuser)
    assert [p.partner.name for p in overview.failing_certification] == ["Alpha Casino", "Bravo Casino"]
    assert [p.partner.name for p in overview.panels] == ["Alpha Casino", "Bravo Casino"]  # the breaker outranks
    assert [(p.partner, p.breaker) for p in overview.breakers_open] == [(partner_a, "open")]
    assert [r.pk for r in overview.panels[0].failing_runs] == [errored.pk]
    mine = operations_overview(user=manager_a)
    assert [p.partner for p in mine.failing_certification] == [partner_a]
    assert len(mine.panels) == 1


def test_ranges_bucket_by_hour_and_by_day_as_the_reports(partner_a, manager_a, ledger):
    now = timezone.now()
    eur, usd = ledger.session(partner_a), ledger.session(partner_a, currency="USD", player="p2")
    days = [now - timedelta(days=d) for d in (0, 1, 6, 13, 29, 31)]
    for i, at in enumerate(days):
        ledger.bet_and_win(eur, f"{i + 1}.00", "0.50", at=at)
        refunded = ledger.tx(eur, TxKind.BET, "2.00", at=at)
        ledger.tx(eur, TxKind.REFUND, "2.00", refunds=refunded, at=at)
    ledger.bet_and_win(usd, "1.00", "0", at=now)  # the smaller currency: not the chart's
    for key, slots in (("24h", 24), ("7d", 168), ("30d", 30)):
        [panel] = operations_dashboard(user=manager_a, span=key, now=now)
        assert len(panel.slots) == slots
        assert len(panel.bets) == slots
        assert panel.currency == "EUR"
        assert panel.slots[-1] <= now.isoformat()
    [month] = operations_dashboard(user=manager_a, span="30d", now=now)
    # each daily bucket of the 30-day chart is that UTC day's report (the 31-day-old play is out of range)
    for start, bets, ggr in zip(month.slots, month.bets, month.ggr, strict=True):
        day = datetime.fromisoformat(start)
        assert day.hour == 0
        assert day.tzinfo is not None
        rows = [r for r in reconciliation_report(partner=partner_a, date=day.date()) if r.currency == "EUR"]
        assert bets == (format_amount(rows[0].bets_sum, "EUR") if rows else "0")
        assert ggr == (format_amount(rows[0].ggr, "EUR") if rows else "0")
    assert sum(Decimal(v) for v in month.bets) == sum(Decimal(i + 1) + 2 for i in range(5))
    [week] = operations_dashboard(user=manager_a, span="7d", now=now)
    assert sum(Decimal(v) for v in week.bets) == Decimal("1.00") + 2 + Decimal("2.00") + 2 + Decimal("3.00") + 2
    days_of = period_totals(
        partner=partner_a, start=now - timedelta(days=40), end=now + timedelta(seconds=1), bucket="day"
    )
    assert {t.sessions for (cur, _), t in days_of.items() if cur == "EUR"} == {1}


def test_a_bad_range_is_the_default():
    assert chart_range("30d") is RANGES["30d"]
    for bad in (None, "", "1y", "24H", "30d ", ["7d"], "x" * 10_000, "\x00"):
        assert chart_range(bad) is RANGES["24h"]
