"""Round details over real HTTP: a signed link obtained through each protocol opens the round's page (game, stake,
outcome, payout, every transaction; TraderHero's seed and committed hash; a market position's price and
cash-out), in the player's language; links expire and cannot be forged; another partner's round is a 404."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from tests.conftest import wire_partner
from wallet.models import Transaction, TxKind

from .conftest import core_get, core_session, igsp_get, igsp_session, jackpot_bet


def test_traderhero_round_link_through_igsp_opens_the_page_with_seed_and_hash(http, wired, games_catalog):
    sid, key, session_ref = igsp_session(http, wired, "traderhero-jackpot")
    placed = jackpot_bet(http, sid, key, "2.00")
    assert placed["status"] == "settled"

    resp = igsp_get(http, wired, f"/igsp/v1/rounds/{placed['roundId']}")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["round_id"] == placed["roundId"]
    assert body["session_id"] == session_ref
    assert body["stake"] == "2.00"
    assert body["payout"] == (placed["payout"] if Decimal(placed["payout"]) else "0.00")
    assert body["outcome"] == ("won" if Decimal(placed["payout"]) > 0 else "lost")
    assert next(t["action"] for t in body["transactions"]) == "bet"
    assert body["transactions"][0]["status"] == "confirmed"

    page = http.get(body["url"].removeprefix(str(http.base_url).rstrip("/")))
    assert page.status_code == 200
    html = page.text
    assert placed["serverSeedHash"] in html
    assert placed["serverSeed"] in html
    assert hashlib.sha256(placed["serverSeed"].encode()).hexdigest() == placed["serverSeedHash"]
    assert "TraderHero" in html
    assert placed["transactionId"] in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_market_round_link_through_the_core_api_shows_position_price_and_cash_out(
    http, wired, games_catalog, open_market
):
    gs_id, key, session_ref = core_session(http, wired, "prediction-markets")
    bet = http.post(
        f"/igsp/v1/sessions/{gs_id}/bet",
        headers=key,
        json={"marketId": str(open_market.pk), "outcome": "YES", "amount": "5.00"},
    )
    assert bet.status_code == 201, bet.text
    placed = bet.json()
    sold = http.post(f"/igsp/v1/sessions/{gs_id}/cash-out", headers=key, json={"betId": placed["betId"]})
    assert sold.status_code == 200, sold.text

    resp = core_get(http, wired, "/rounds", {"roundID": placed["roundId"]})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["roundID"] == placed["roundId"]
    assert body["sessionID"] == session_ref
    assert body["gsID"] == gs_id
    assert body["stake"] == "5.00"
    assert body["payout"] == sold.json()["cashOutValue"]
    assert [t["action"] for t in body["transactions"]] == ["bet", "win"]

    html = http.get(body["url"]).text
    price = (Decimal("5.00") / Decimal(placed["shares"])).quantize(Decimal("0.000001"))
    assert str(price) in html
    assert sold.json()["cashOutValue"] in html
    assert open_market.title in html


def test_round_link_expires_cannot_be_forged_and_speaks_the_players_language(http, wired, games_catalog, settings):
    sid, key, _ = igsp_session(http, wired, "traderhero-jackpot", language="es")
    placed = jackpot_bet(http, sid, key)
    url = igsp_get(http, wired, f"/igsp/v1/rounds/{placed['roundId']}").json()["url"]
    page = http.get(url)
    assert page.status_code == 200
    assert '<html lang="es">' in page.text

    token = url.rsplit("/", 1)[1]
    forged = http.get(url.replace(token, token[:-2] + ("aa" if not token.endswith("aa") else "bb")))
    assert forged.status_code == 410
    assert placed["roundId"] not in forged.text

    settings.HUB_ROUND_DETAILS_TTL_SECONDS = -1  # every link issued so far is now too old
    expired = http.get(url)
    assert expired.status_code == 410
    assert placed["serverSeed"] not in expired.text


def test_another_partners_round_is_not_found_in_either_protocol(http, wired, sandbox, live_hub, games_catalog):
    other = wire_partner(sandbox, live_hub)
    sid, key, _ = igsp_session(http, other, "traderhero-jackpot")
    theirs = jackpot_bet(http, sid, key)["roundId"]

    igsp = igsp_get(http, wired, f"/igsp/v1/rounds/{theirs}")
    assert igsp.status_code == 404
    assert igsp.json()["error"] == "round_not_found"
    core = core_get(http, wired, "/rounds", {"roundID": theirs})
    assert core.status_code == 404
    assert set(core.json()) <= {"message", "details", "code"}
    assert igsp_get(http, wired, "/igsp/v1/rounds/not-a-uuid").status_code == 404
    # The owner gets it.
    assert igsp_get(http, other, f"/igsp/v1/rounds/{theirs}").status_code == 200
    assert Transaction.objects.filter(round_id=theirs, kind=TxKind.BET, partner=other.partner).exists()


def test_the_round_page_is_in_the_players_language_whatever_form_the_casino_sent_it_in(http, wired, games_catalog):
    # (language the casino sent, <html lang>, texts of the page in that language: title, a column, a tx status)
    for language, tag, texts in (
        ("de", "de", ("<h1>Rundendetails</h1>", "<h2>Transaktionen</h2>", "<td>Bestätigt</td>", "Alle Zeiten in UTC.")),
        ("ja", "ja", ("<h1>ラウンドの詳細</h1>", "<th>金額</th>", "<td>承認</td>", "時刻は UTC です。")),
        ("zh_tw", "zh-Hant", ("<h1>回合詳情</h1>", "<th>金額</th>", "<td>已確認</td>", "時間為 UTC。")),
    ):
        sid, key, _ = igsp_session(http, wired, "traderhero-jackpot", language=language)
        placed = jackpot_bet(http, sid, key)
        html = http.get(igsp_get(http, wired, f"/igsp/v1/rounds/{placed['roundId']}").json()["url"]).text
        assert f'<html lang="{tag}">' in html, language
        for text in texts:
            assert text in html, (language, text)
        assert "Round details" not in html, language
        assert "Times are UTC." not in html, language
