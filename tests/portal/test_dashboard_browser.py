"""The operations dashboard in Debian's Chromium at 1440 px: the headline tiles in one row, then the partners'
charts side by side (not one narrow column), the app list and the sidebar beside each other; the tiles' figures
are the reconciliation reports'; an account manager sees only their partners; the range switch redraws the
charts over 7 d by hour and 30 d by day. Charts from the hub's own Chart.js, no request to another host, no
console error; screenshots in test-artifacts/ (scripts/screenshots.py copies them to docs/img/)."""

from __future__ import annotations

import random
from datetime import UTC, timedelta
from decimal import Decimal

from django.utils import timezone

from certification.models import CertificationRun, RunStatus
from tenants import services as tenant_services
from tests.conftest import wire_partner
from tests.pages.browser.conftest import Watched, chromium, needs_chromium, screenshot  # noqa: F401
from tests.wallet.conftest import WALLET_PERMS, Ledger, grant
from wallet.models import TxKind, TxStatus
from wallet.reconciliation import format_amount, reconciliation_report

from .conftest import play
from .test_pages_browser import login_cookie

pytestmark = needs_chromium

WIDE = {"viewport": {"width": 1440, "height": 900}, "device_scale_factor": 1}


def history(ledger: Ledger, partner, *, seed: int, scale: str) -> None:
    """Confirmed play over the last 30 days (rows written directly: the figures, not the wallet, are under test):
    every 6 hours for a month, every hour of the last day, a few players, bets and wins of varying size."""
    rnd = random.Random(seed)
    now = timezone.now()
    players = [ledger.session(partner, currency="USD", player=f"h{seed}-{i}") for i in range(4)]
    moments = [now - timedelta(hours=h, minutes=rnd.randrange(60)) for h in range(6, 30 * 24, 6)]
    moments += [now - timedelta(hours=h, minutes=rnd.randrange(50)) for h in range(1, 24)]
    for at in moments:
        for session in rnd.sample(players, rnd.randint(1, 3)):
            bet = Decimal(scale) * rnd.randint(1, 20)
            win = (bet * Decimal(rnd.choice(["0", "0", "0.5", "1.5", "2"]))).quantize(Decimal("0.01"))
            ledger.bet_and_win(session, f"{bet:.2f}", f"{win:.2f}", at=at)


def box(page, selector: str) -> dict:
    b = page.locator(selector).bounding_box()
    assert b is not None, selector
    return b


def test_dashboard_uses_a_1440_px_screen_and_matches_reconciliation(
    chromium,  # noqa: F811
    two_partners,
    sandbox,
    game,
    live_hub,
    django_user_model,
):
    a, b = two_partners
    other = wire_partner(sandbox, live_hub)  # not the manager's
    manager = django_user_model.objects.create_user(username="am", password="x", is_staff=True)
    grant(manager, *WALLET_PERMS)  # what the "Account managers" group carries (the flush emptied the groups)
    for wired, name in ((a, "Alpha Casino"), (b, "Bravo Bet")):
        tenant_services.partner_update(partner=wired.partner, actor="test", account_manager=manager, name=name)
        wired.partner.refresh_from_db()
    play(a, game, player="alice", bets=3, win="2.50")  # real calls: the last hour's success rate and p50
    play(b, game, player="bob", bets=1)
    play(other, game, player="carol", bets=1)
    ledger = Ledger(game)
    history(ledger, a.partner, seed=1, scale="1.00")
    history(ledger, b.partner, seed=2, scale="2.50")
    stuck = ledger.tx(ledger.session(b.partner, currency="USD", player="dave"), TxKind.BET, "4.00")
    ledger.tx(stuck.session, TxKind.WIN, "6.00", rnd=stuck.round, status=TxStatus.PENDING, stuck=True)
    CertificationRun.objects.create(
        partner=b.partner,
        protocol="igsp",
        target_url=b.partner.igsp_hooks_url,
        currency="USD",
        hub_version="test",
        status=RunStatus.FAILED,
        total=57,
        done=57,
        passed_count=55,
        failed_count=2,
        finished_at=timezone.now(),
    )
    today = timezone.now().astimezone(UTC).date()
    rows = [r for w in (a, b) for r in reconciliation_report(partner=w.partner, date=today)]
    assert {r.currency for r in rows} == {"USD"}
    usd = {name: sum((getattr(r, name) for r in rows), Decimal(0)) for name in ("bets_sum", "wins_sum", "ggr")}

    context = chromium.new_context(**WIDE)
    context.set_default_timeout(15_000)
    try:
        context.add_cookies([login_cookie(manager, live_hub)])
        watched = Watched(context.new_page(), live_hub.url)
        page = watched.page
        page.goto(f"{live_hub.url}/admin/")
        assert page.title().endswith("Integration hub")
        assert "Django administration" not in page.content()
        page.wait_for_function("window.Chart && Object.keys(Chart.instances).length === 2")

        # the tiles: the reconciliation reports' figures of my two partners, the stuck win, the failing run
        money = page.locator('[data-tile="today"][data-currency="USD"]')
        assert money.locator(".ops-tile-bets").inner_text() == format_amount(usd["bets_sum"], "USD")
        assert money.locator(".ops-tile-wins").inner_text() == format_amount(usd["wins_sum"], "USD")
        assert money.locator(".ops-tile-ggr").inner_text() == format_amount(usd["ggr"], "USD")
        assert page.locator("#ops-tile-stuck .ops-tile-count").inner_text() == "1"
        assert page.locator("#ops-tile-breakers .ops-tile-count").inner_text() == "0"
        assert page.locator("#ops-tile-certification .ops-tile-count").inner_text() == "1"
        assert "Bravo Bet" in page.locator("#ops-tile-certification").inner_text()
        assert other.partner.name not in page.content()

        # the layout: everything across the screen, several columns, no sideways scroll
        assert page.evaluate("document.documentElement.scrollWidth") <= 1440
        dashboard = box(page, "#ops-dashboard")
        assert dashboard["width"] > 1300, dashboard
        tiles = [page.locator("#ops-tiles > .ops-tile").nth(i).bounding_box() for i in range(4)]
        assert len({t["y"] for t in tiles}) == 1, tiles
        assert len({t["x"] for t in tiles}) == 4, tiles  # one row of four
        charts = page.locator("#ops-charts > .ops-chart")
        assert charts.count() == 2
        first, second = charts.nth(0).bounding_box(), charts.nth(1).bounding_box()
        assert first["y"] == second["y"], (first, second)
        assert second["x"] >= first["x"] + first["width"], (first, second)
        assert first["width"] >= 400
        assert first["width"] < dashboard["width"] / 2
        # trouble first: Bravo (a stuck delivery, failing certification) before Alpha
        assert charts.nth(0).get_attribute("data-chart") == b.partner.slug
        assert "1 stuck" in charts.nth(0).inner_text()
        assert "certification failing" in charts.nth(0).inner_text()
        apps, side = box(page, "#content-main"), box(page, ".ops-side")  # deliveries, recent actions
        assert side["x"] > apps["x"] + apps["width"], (apps, side)
        assert abs(side["y"] - apps["y"]) < 40, (apps, side)
        for wired in (a, b):  # the table's rows are the reports' too
            [row] = reconciliation_report(partner=wired.partner, date=today)
            line = page.locator(f'#ops-table [data-partner-row="{wired.partner.slug}"]')
            assert line.locator(".ops-bets").inner_text() == f"{format_amount(row.bets_sum, 'USD')} USD"
            assert line.locator(".ops-ggr").inner_text() == f"{format_amount(row.ggr, 'USD')} USD"
        screenshot(page, "admin-operations-dashboard.png")

        # the range switch: server-rendered links, the charts redrawn over the range
        labels = "Object.values(Chart.instances).map(c => c.data.labels.length)"
        assert page.evaluate(labels) == [24, 24]
        page.click("#ops-range a[data-range='7d']")
        page.wait_for_url(f"{live_hub.url}/admin/?range=7d")
        page.wait_for_function("window.Chart && Object.keys(Chart.instances).length === 2")
        assert page.evaluate(labels) == [168, 168]
        assert page.locator("#ops-range [aria-current='page']").inner_text() == "7 d"
        page.click("#ops-range a[data-range='30d']")
        page.wait_for_url(f"{live_hub.url}/admin/?range=30d")
        page.wait_for_function("window.Chart && Object.keys(Chart.instances).length === 2")
        assert page.evaluate(labels) == [30, 30]
        assert "last 30 d" in charts.nth(1).inner_text()
        screenshot(page, "admin-operations-dashboard-30d.png")
        page.goto(f"{live_hub.url}/admin/?range=forever")
        page.wait_for_function("window.Chart && Object.keys(Chart.instances).length === 2")
        assert page.locator("#ops-range [aria-current='page']").inner_text() == "24 h"
        watched.check()
    finally:
        context.close()
