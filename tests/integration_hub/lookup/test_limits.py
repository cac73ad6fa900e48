"""The partner queries' limits over real HTTP: a capped since/until range, per-partner throttles
on the lookup and report APIs (429 with Retry-After, in each protocol's error shape), and ``extCID`` in the Core
API's transaction rows (item 9)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.conftest import wire_partner
from wallet.models import Transaction

from .conftest import core_get, core_session, igsp_get, igsp_session, jackpot_bet


def test_since_until_span_at_most_the_cap_and_default_to_its_last_days(http, wired, games_catalog, settings):
    settings.HUB_LOOKUP_MAX_RANGE_DAYS = 31
    sid, key, _ = igsp_session(http, wired, "traderhero-jackpot")
    placed = [jackpot_bet(http, sid, key) for _ in range(2)]
    old = Transaction.objects.get(pk=placed[0]["transactionId"])
    Transaction.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    now = timezone.now()

    too_wide = {"since": (now - timedelta(days=32)).isoformat(), "until": now.isoformat()}
    igsp = igsp_get(http, wired, "/igsp/v1/transactions", too_wide)
    assert igsp.status_code == 400, igsp.text
    assert igsp.json()["error"] == "range_too_large"
    assert "31 days" in igsp.json()["message"]
    core = core_get(http, wired, "/transactions", too_wide)
    assert core.status_code == 400
    assert "31 days" in core.json()["message"]
    assert "error" not in core.json()
    since_only = igsp_get(http, wired, "/igsp/v1/transactions", {"since": (now - timedelta(days=45)).isoformat()})
    assert since_only.status_code == 400
    assert since_only.json()["error"] == "range_too_large"
    backwards = igsp_get(http, wired, "/igsp/v1/transactions", {"since": now.isoformat(), "until": too_wide["since"]})
    assert backwards.status_code == 400
    assert backwards.json()["error"] == "invalid_request"

    # Without since/until: the last 31 days; a transaction id or round id finds an older row.
    listed = igsp_get(http, wired, "/igsp/v1/transactions", {}).json()["data"]
    assert str(old.pk) not in {t["transaction_id"] for t in listed}
    assert listed
    by_id = igsp_get(http, wired, "/igsp/v1/transactions", {"transaction_id": str(old.pk)}).json()["data"]
    assert [t["transaction_id"] for t in by_id] == [str(old.pk)]
    by_round = core_get(http, wired, "/transactions", {"roundID": placed[0]["roundId"]}).json()["transactions"]
    assert str(old.pk) in {t["txID"] for t in by_round}
    window = {"since": (now - timedelta(days=41)).isoformat(), "until": (now - timedelta(days=39)).isoformat()}
    assert [t["transaction_id"] for t in igsp_get(http, wired, "/igsp/v1/transactions", window).json()["data"]] == [
        str(old.pk)
    ]


def test_lookups_and_reports_are_throttled_per_partner(http, wired, sandbox, live_hub, games_catalog, settings):
    settings.HUB_LOOKUP_RATE = "3/min"
    settings.HUB_REPORT_RATE = "2/min"
    other = wire_partner(sandbox, live_hub)
    for _ in range(3):
        assert igsp_get(http, wired, "/igsp/v1/transactions").status_code == 200
    refused = core_get(http, wired, "/transactions", {})  # the same partner, the other protocol: the same budget
    assert refused.status_code == 429, refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "message" in refused.json()
    igsp = igsp_get(http, wired, "/igsp/v1/transactions")
    assert igsp.status_code == 429
    assert igsp.json()["error"] == "too_many_requests"
    assert igsp.headers["Retry-After"]
    assert igsp_get(http, other, "/igsp/v1/transactions").status_code == 200  # another partner's budget is its own

    day = timezone.now().date().isoformat()
    for _ in range(2):
        assert igsp_get(http, wired, "/igsp/v1/reconciliation", {"date": day}).status_code == 200
    report = core_get(http, wired, "/reconciliation", {"date": day})
    assert report.status_code == 429
    assert report.headers["Retry-After"]
    assert "message" in report.json()
    rounds = core_get(http, wired, "/rounds", {"roundID": "5b1c3c5e-8f53-4f7e-9d6c-0c1b2a3d4e5f"})
    assert rounds.status_code == 429  # round details count as a lookup
    free_rounds = core_get(http, wired, "/free-rounds", {"userID": "p-1"})
    assert free_rounds.status_code == 429
    assert free_rounds.headers["Retry-After"]  # so does free rounds' status


def test_core_transaction_rows_name_their_ext_cid(http, wired, games_catalog):
    gs_id, key, _ = core_session(http, wired, "traderhero-jackpot")
    bet = jackpot_bet(http, gs_id, key)
    rows = core_get(http, wired, "/transactions", {"txID": bet["transactionId"]}).json()["transactions"]
    assert [r["extCID"] for r in rows] == [wired.slug]
    details = core_get(http, wired, "/rounds", {"roundID": bet["roundId"]}).json()
    assert {t["extCID"] for t in details["transactions"]} == {wired.slug}
