"""The operations dashboard as its users get it over HTTP (the admin index): the headline tiles show the
reconciliation reports' figures, an account manager sees only their partners, and the range switch (24 h, 7 d,
30 d) changes the charts' buckets; a range that is none of them is the default, never an error."""

from __future__ import annotations

import json
import re
from datetime import UTC, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from wallet.reconciliation import format_amount, reconciliation_report

from .test_dashboard import play_today


def chart_data(html: str) -> dict:
    return json.loads(re.search(r'<script id="ops-data" type="application/json">(.*?)</script>', html, re.S).group(1))


def tile(html: str, name: str, currency: str | None = None) -> str:
    attrs = f'data-tile="{name}"' + (f' data-currency="{currency}"' if currency else "")
    start = html.index(attrs)
    return html[start : html.index("</div>" if currency else "</p>", start)]


def current_range(html: str) -> str:
    return re.search(r'data-range="([^"]+)" aria-current="page"', html).group(1)


@pytest.fixture
def played(partner_a, partner_b, ledger):
    play_today(ledger, partner_a, partner_b)


def test_the_page_shows_my_partners_tiles_from_the_reports(client, manager_a, partner_a, partner_b, played):
    client.force_login(manager_a)
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    today = timezone.now().astimezone(UTC).date()
    for row in reconciliation_report(partner=partner_a, date=today):
        box = tile(html, "today", row.currency)
        for css, value in (("bets", row.bets_sum), ("wins", row.wins_sum), ("ggr", row.ggr)):
            assert f'class="ops-tile-{css}">{format_amount(value, row.currency)}<' in box, (css, box)
    assert 'class="ops-tile-bets">5.00<' not in html  # A's EUR bets are 9.00 (5 + the refunded 4)
    assert 'class="ops-tile-bets">9.00<' in tile(html, "today", "EUR")
    assert 'class="ops-tile-count">0<' in tile(html, "stuck")  # B's stuck win is not mine
    assert partner_a.name in html
    assert partner_b.name not in html
    assert list(chart_data(html)) == [str(partner_a.pk)]
    assert html.index('id="ops-tiles"') < html.index('id="ops-charts"') < html.index('id="ops-table"')


def test_a_superuser_sees_every_partner_and_the_stuck_one(client, superuser, partner_a, partner_b, played):
    client.force_login(superuser)
    html = client.get("/admin/").content.decode()
    assert 'class="ops-tile-count">1<' in tile(html, "stuck")
    assert 'class="ops-tile-ggr">6.40<' in tile(html, "today", "EUR")  # A 9 − 7.50 − 4, B 10 − 1.10
    assert set(chart_data(html)) == {str(partner_a.pk), str(partner_b.pk)}
    # Bravo's stuck win puts it first
    assert html.index('data-chart="' + partner_b.slug) < html.index('data-chart="' + partner_a.slug)


@pytest.mark.parametrize(
    ("query", "key", "slots"), [("", "24h", 24), ("?range=7d", "7d", 168), ("?range=30d", "30d", 30)]
)
def test_the_range_switch_changes_the_charts(client, manager_a, partner_a, played, query, key, slots):
    client.force_login(manager_a)
    response = client.get(f"/admin/{query}")
    assert response.status_code == 200
    html = response.content.decode()
    [chart] = chart_data(html).values()
    assert chart["range"] == key
    assert len(chart["slots"]) == slots
    assert len(chart["bets"]) == slots
    assert current_range(html) == key
    assert sum(float(v) for v in chart["bets"]) == 9.0  # today's EUR bets fall in every range
    for other in ("24h", "7d", "30d"):
        assert f'href="?range={other}"' in html


@pytest.mark.parametrize("bad", ["1y", "", "24H", "7d%20", "%00", "x" * 5000, "30d%27%3E%3Cscript%3E"])
def test_a_bad_range_is_the_24_hour_default(client, manager_a, partner_a, played, bad):
    client.force_login(manager_a)
    response = client.get(f"/admin/?range={bad}")
    assert response.status_code == 200
    html = response.content.decode()
    assert current_range(html) == "24h"
    assert len(next(iter(chart_data(html).values()))["slots"]) == 24
    assert "<script>" not in html.split('id="ops-dashboard"', 1)[1]


def test_repeated_or_odd_range_parameters_never_fail(client, manager_a, partner_a, played):
    client.force_login(manager_a)
    for query in ("range=7d&range=30d", "range[]=7d", "range=" + quote("日本"), "RANGE=30d"):
        response = client.get(f"/admin/?{query}")
        assert response.status_code == 200, query
    assert current_range(client.get("/admin/?range=7d&range=30d").content.decode()) == "30d"  # the last, as Django


def test_a_staff_user_without_ledger_rights_gets_no_dashboard(client, django_user_model, partner_a, played):
    user = django_user_model.objects.create_user(username="clerk", password="x", is_staff=True)
    client.force_login(user)
    response = client.get("/admin/?range=7d")
    assert response.status_code == 200
    assert 'id="ops-dashboard"' not in response.content.decode()


def test_old_play_is_in_the_30_day_chart_only(client, manager_a, partner_a, ledger):
    ledger.bet_and_win(ledger.session(partner_a), "4.00", "1.00", at=timezone.now() - timedelta(days=12))
    client.force_login(manager_a)
    sums = {}
    for key in ("24h", "7d", "30d"):
        [chart] = chart_data(client.get(f"/admin/?range={key}").content.decode()).values()
        sums[key] = (sum(float(v) for v in chart["bets"]), sum(float(v) for v in chart["ggr"]))
    assert sums == {"24h": (0, 0), "7d": (0, 0), "30d": (4.0, 3.0)}
    assert 'data-tile="today"' in client.get("/admin/").content.decode()
