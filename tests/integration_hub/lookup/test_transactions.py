"""Transaction lookup and reconciliation over real HTTP, in both protocols' styles: filters (time range, player,
round, our or the partner's transaction id, status), cursor pages that neither skip nor repeat a row, the
reconciliation report's totals as JSON and CSV equal to the admin's, and partner isolation."""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from tests.conftest import wire_partner
from wallet import reconciliation
from wallet.models import Transaction

from .conftest import core_get, igsp_get, igsp_session, jackpot_bet


def _play(http, wired, rounds: int, player="p-1"):
    sid, key, _ = igsp_session(http, wired, "traderhero-jackpot", player=player)
    return [jackpot_bet(http, sid, key) for _ in range(rounds)]


def test_igsp_lookup_filters_and_pages_without_gaps(http, wired, games_catalog):
    start = timezone.now()
    placed = _play(http, wired, 3) + _play(http, wired, 1, player="p-2")
    mine = Transaction.objects.filter(partner=wired.partner)
    everything = [str(t.pk) for t in mine.order_by("created_at", "pk")]

    seen, cursor = [], None
    while True:
        resp = igsp_get(http, wired, "/igsp/v1/transactions", {"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200, resp.text
        page = resp.json()
        seen += [t["transaction_id"] for t in page["data"]]
        assert page["meta"]["returned"] == len(page["data"]) <= 2
        cursor = page["cursor"]["next"]
        if not cursor:
            break
    assert seen == everything  # oldest first, no row skipped or repeated

    by_player = igsp_get(http, wired, "/igsp/v1/transactions", {"player_id": "p-2"}).json()["data"]
    assert {t["player_id"] for t in by_player} == {"p-2"}
    assert by_player
    by_round = igsp_get(http, wired, "/igsp/v1/transactions", {"round_id": placed[0]["roundId"]}).json()["data"]
    assert {t["round_id"] for t in by_round} == {placed[0]["roundId"]}
    ours = igsp_get(http, wired, "/igsp/v1/transactions", {"transaction_id": placed[1]["transactionId"]}).json()
    assert [t["transaction_id"] for t in ours["data"]] == [placed[1]["transactionId"]]
    bet = Transaction.objects.get(pk=placed[1]["transactionId"])
    assert bet.partner_tx_id  # the sandbox wallet answered its own id
    theirs = igsp_get(http, wired, "/igsp/v1/transactions", {"transaction_id": bet.partner_tx_id}).json()["data"]
    assert [t["transaction_id"] for t in theirs] == [str(bet.pk)]
    assert theirs[0]["partner_transaction_id"] == bet.partner_tx_id
    assert theirs[0]["status"] == "confirmed"
    window = igsp_get(
        http, wired, "/igsp/v1/transactions", {"since": start.isoformat(), "until": timezone.now().isoformat()}
    ).json()
    assert len(window["data"]) == len(everything)
    future = igsp_get(http, wired, "/igsp/v1/transactions", {"since": timezone.now().isoformat()}).json()
    assert future["data"] == []
    pending = igsp_get(http, wired, "/igsp/v1/transactions", {"status": "pending"}).json()["data"]
    assert {t["status"] for t in pending} <= {"pending"}

    bad = igsp_get(http, wired, "/igsp/v1/transactions", {"cursor": "!!", "limit": 0})
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_request"


def test_core_lookup_pages_and_isolation(http, wired, sandbox, live_hub, games_catalog):
    placed = _play(http, wired, 2)
    other = wire_partner(sandbox, live_hub)
    theirs = _play(http, other, 1)

    first = core_get(http, wired, "/transactions", {"limit": "1"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["transactions"]) == 1
    assert body["hasMore"] is True
    assert body["nextCursor"]
    rest = core_get(http, wired, "/transactions", {"limit": "200", "cursor": body["nextCursor"]}).json()
    ids = [t["txID"] for t in body["transactions"] + rest["transactions"]]
    assert ids == [str(t.pk) for t in Transaction.objects.filter(partner=wired.partner).order_by("created_at", "pk")]
    assert placed[0]["transactionId"] in ids
    # Partner isolation: the other partner's rows are never listed nor found by id, round or player.
    their_tx = theirs[0]["transactionId"]
    assert their_tx not in ids
    assert core_get(http, wired, "/transactions", {"txID": their_tx}).json()["transactions"] == []
    assert core_get(http, wired, "/transactions", {"roundID": theirs[0]["roundId"]}).json()["transactions"] == []
    assert igsp_get(http, wired, "/igsp/v1/transactions", {"transaction_id": their_tx}).json()["data"] == []
    assert [t["txID"] for t in core_get(http, other, "/transactions", {"txID": their_tx}).json()["transactions"]] == [
        their_tx
    ]


def test_reconciliation_json_and_csv_in_both_protocols_equal_the_report(http, wired, sandbox, live_hub, games_catalog):
    _play(http, wired, 3)
    other = wire_partner(sandbox, live_hub)
    _play(http, other, 2)
    day = timezone.now().date()
    rows = reconciliation.reconciliation_report(partner=wired.partner, date=day)
    assert rows
    assert rows[0].bets_count == 3

    igsp = igsp_get(http, wired, "/igsp/v1/reconciliation", {"date": day.isoformat()})
    assert igsp.status_code == 200, igsp.text
    assert igsp.json() == {
        "date": day.isoformat(),
        "currencies": [
            dict(zip(reconciliation.COLUMNS[3:], reconciliation.row_values(r)[3:], strict=True)) for r in rows
        ],
    }
    core = core_get(http, wired, "/reconciliation", {"date": day.isoformat()})
    assert core.status_code == 200, core.text
    usd = core.json()["currencies"][0]
    assert usd["betsCount"] == "3"
    assert usd["ggr"] == reconciliation.row_values(rows[0])[10]

    for resp in (
        igsp_get(http, wired, "/igsp/v1/reconciliation", {"date": day.isoformat(), "format": "csv"}),
        core_get(http, wired, "/reconciliation", {"date": day.isoformat(), "format": "csv"}),
    ):
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("text/csv")
        assert resp.text == reconciliation.reconciliation_csv(rows)
        parsed = list(csv.reader(io.StringIO(resp.text)))
        assert {r[1] for r in parsed[1:]} == {wired.partner.slug}  # never the other partner's rows

    bad = core_get(http, wired, "/reconciliation", {"date": "yesterday"})
    assert bad.status_code == 400
    assert "message" in bad.json()
