"""Free rounds status, session termination and restricted countries over real HTTP, both protocols."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import BetLine, Provider
from games import catalog
from tests.conftest import wire_partner
from wallet.models import GameSession, Transaction

from .conftest import core_get, core_post, core_session, igsp_post, igsp_session, jackpot_bet, once


@pytest.fixture
def bet_lines(games_catalog):
    BetLine.objects.filter(game=games_catalog["traderhero-jackpot"], currency="USD", position=1).update(
        max_bet=Decimal("0.50"), max_multiplier=Decimal("5")
    )


def _campaign(http, wired, ext_id="fr-1", users=("u-77",), quantity=3):
    body = {
        "extID": ext_id,
        "extCID": wired.slug,
        "currency": "USD",
        "quantity": quantity,
        "betLine": 1,
        "validFrom": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "gameIDs": ["traderhero-jackpot"],
    }
    if users:
        body["userIDs"] = list(users)
    resp = core_post(http, wired, "/free-rounds", body)
    assert resp.status_code == 200, resp.text
    return resp.json()["id"]


def test_free_rounds_status_by_campaign_and_player_and_on_the_game_page(http, wired, sandbox, live_hub, bet_lines):
    campaign_id = _campaign(http, wired)
    fresh = core_get(http, wired, "/free-rounds", {"extID": "fr-1"})
    assert fresh.status_code == 200, fresh.text
    [line] = fresh.json()["freeRounds"]
    assert (line["userID"], line["granted"], line["used"], line["remaining"], line["winnings"]) == (
        "u-77",
        3,
        0,
        3,
        "0.00",
    )

    gs_id, key, _ = core_session(http, wired, "traderhero-jackpot")
    state = http.get(f"/igsp/v1/sessions/{gs_id}/state", headers=key).json()
    assert state["freeRounds"]["remaining"] == 3
    assert state["freeRounds"]["extID"] == "fr-1"
    played = jackpot_bet(http, gs_id, key)
    assert played["freeRound"] is True

    [line] = core_get(http, wired, "/free-rounds", {"id": campaign_id}).json()["freeRounds"]
    assert (line["used"], line["remaining"]) == (1, 2)
    assert Decimal(line["winnings"]) == Decimal(played["payout"])
    by_player = core_get(http, wired, "/free-rounds", {"userID": "u-77"}).json()["freeRounds"]
    assert [(x["extID"], x["remaining"]) for x in by_player] == [("fr-1", 2)]
    assert http.get(f"/igsp/v1/sessions/{gs_id}/state", headers=key).json()["freeRounds"]["remaining"] == 2

    # Isolation: another partner neither sees this campaign nor this player's free rounds.
    other = wire_partner(sandbox, live_hub)
    assert core_get(http, other, "/free-rounds", {"extID": "fr-1"}).status_code == 404
    assert core_get(http, other, "/free-rounds", {"id": campaign_id}).status_code == 404
    assert core_get(http, other, "/free-rounds", {"userID": "u-77"}).json()["freeRounds"] == []
    assert core_get(http, wired, "/free-rounds", {}).status_code == 400


def test_terminate_closes_the_players_sessions_and_the_game_page_sees_410(
    http, wired, sandbox, live_hub, games_catalog
):
    sid, key, ref = igsp_session(http, wired, "traderhero-jackpot", player="p-9")
    sid2, key2, _ = igsp_session(http, wired, "traderhero-jackpot", player="p-9")
    keep, keep_key, _ = igsp_session(http, wired, "traderhero-jackpot", player="p-10")
    other = wire_partner(sandbox, live_hub)
    theirs, their_key, _ = igsp_session(http, other, "traderhero-jackpot", player="p-9")
    assert http.get(f"/igsp/v1/sessions/{sid}/state", headers=key).status_code == 200

    resp = igsp_post(http, wired, "/igsp/v1/sessions/terminate", {"player_id": "p-9", "reason": "self-exclusion"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["terminated"] == 2
    assert {s["game_session_id"] for s in resp.json()["sessions"]} == {sid, sid2}
    for s, k in ((sid, key), (sid2, key2)):
        gone = http.get(f"/igsp/v1/sessions/{s}/state", headers=k)
        assert gone.status_code == 410
        assert gone.json()["error"] == "session_closed"
        bet = http.post(f"/igsp/v1/sessions/{s}/bet", headers=k, json={"direction": "up", "amount": "1.00"})
        assert bet.status_code == 410
    assert not Transaction.objects.filter(session_id__in=[sid, sid2]).exists()
    # Another player's and another partner's sessions are untouched: partner A cannot close B's.
    assert http.get(f"/igsp/v1/sessions/{keep}/state", headers=keep_key).status_code == 200
    assert http.get(f"/igsp/v1/sessions/{theirs}/state", headers=their_key).status_code == 200
    again = igsp_post(http, wired, "/igsp/v1/sessions/terminate", {"player_id": "p-9"})
    assert again.json()["terminated"] == 0
    assert igsp_post(http, wired, "/igsp/v1/sessions/terminate", {}).status_code == 400

    gs_id, gs_key, session_ref = core_session(http, wired, "traderhero-jackpot", user="u-5")
    cross = core_post(http, other, "/terminate-sessions", {"gsID": gs_id, **once()})
    assert cross.status_code == 200
    assert cross.json()["terminated"] == 0
    assert http.get(f"/igsp/v1/sessions/{gs_id}/state", headers=gs_key).status_code == 200
    done = core_post(http, wired, "/terminate-sessions", {"sessionID": session_ref, **once()})
    assert done.status_code == 200
    assert done.json()["sessions"] == [{"gsID": gs_id, "sessionID": session_ref, "userID": "u-5"}]
    assert http.get(f"/igsp/v1/sessions/{gs_id}/state", headers=gs_key).status_code == 410
    assert GameSession.objects.get(pk=sid).status == "closed"
    assert ref


def test_restricted_countries_are_enforced_when_a_session_carries_a_country(http, wired, games_catalog):
    Provider.objects.filter(pk=catalog.PROVIDER_ID).update(restricted_countries=["US"])
    refused = core_post(
        http,
        wired,
        "/create-new-game",
        {
            "extCID": wired.slug,
            "gameID": "traderhero-jackpot",
            "demo": False,
            "platform": "desktop",
            "currency": "USD",
            "locale": "en_us",
            "sessionID": "x-1",
            "user": {"id": "u-us", "country": "us"},
        },
    )
    assert refused.status_code == 403
    assert "country" in refused.json()["message"]
    igsp = igsp_post(
        http,
        wired,
        "/igsp/v1/sessions",
        {
            "game_id": "traderhero-jackpot",
            "player_id": "p-us",
            "player_name": "Sam",
            "currency": "USD",
            "session_id": "s-us",
            "balance": 10,
            "country": "US",
        },
    )
    assert igsp.status_code == 403
    assert igsp.json()["error"] == "country_restricted"
    assert not GameSession.objects.filter(player_id__in=["u-us", "p-us"]).exists()

    # A session opened while its country was allowed: a bet after the list changed is refused, nothing written.
    gs_id, key, _ = core_session(http, wired, "traderhero-jackpot", user="u-fr", country="FR")
    sid, igsp_key, _ = igsp_session(http, wired, "traderhero-jackpot", player="p-fr", country="FR")
    nowhere, nowhere_key, _ = igsp_session(http, wired, "traderhero-jackpot", player="p-any")
    Provider.objects.filter(pk=catalog.PROVIDER_ID).update(restricted_countries=["US", "FR"])
    for s, k in ((gs_id, key), (sid, igsp_key)):
        bet = http.post(f"/igsp/v1/sessions/{s}/bet", headers=k, json={"direction": "up", "amount": "1.00"})
        assert bet.status_code == 403, bet.text
        assert bet.json()["error"] == "country_restricted", bet.text
    assert not Transaction.objects.filter(session_id__in=[gs_id, sid]).exists()
    # A session without a country is not refused.
    assert jackpot_bet(http, nowhere, nowhere_key)["status"] == "settled"
