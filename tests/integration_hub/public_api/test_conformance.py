"""The hub's own Core API deviations (issue 14, part A), over real HTTP, each body validated against core-api.yaml:
free rounds without ``gameIDs``, every documented locale form, ``images.horizontal_337x181``, and
``initDemoBalance`` above the minimum bet."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from freerounds.models import FreeRoundsCampaign
from games import catalog
from games.markets import limits
from tests import contracts
from tests.integration_hub.public_api import test_core_api as core
from tests.integration_hub.public_api.test_core_api import free_rounds_body, game_request, games_get, post
from wallet.models import GameSession, Transaction, TxKind

http, bet_lines = core.http, core.bet_lines  # the Core API suite's fixtures


def test_free_rounds_without_game_ids_are_valid_in_every_game_with_free_spins_and_the_line(http, wired, bet_lines):
    """The contract: "If not provided, the campaign can be started in any game." Games without free spins (prediction
    markets has no bet lines) are skipped, not a reason to refuse."""
    resp = post(http, wired, "/free-rounds", free_rounds_body(wired, gameIDs=None, userIDs=["u-77"]))
    assert resp.status_code == 200, resp.text
    contracts.validate_response("core-api", "/free-rounds", resp)
    campaign = FreeRoundsCampaign.objects.get(ext_id="fr-1")
    assert campaign.game_ids == [str(bet_lines.pk)] and campaign.bet_amount == Decimal("0.50")
    # The campaign plays in TraderHero (the one game with free spins and line 1).
    game = post(http, wired, "/create-new-game", game_request(wired)).json()
    wired.sandbox.register_session(wired.slug, "ext-sess-1", "u-77", "USD", balance="100.00")
    r = http.post(
        f"/igsp/v1/sessions/{game['gsID']}/bet",
        headers={"X-Casino-Key": game["gameURL"].split("#key=")[1]},
        json={"direction": "up", "amount": "3.00"},
    )
    assert r.status_code == 201 and r.json()["freeRound"] is True and r.json()["stake"] == "0.50", r.text
    assert Transaction.objects.get(kind=TxKind.BET).free_rounds_id == "fr-1"


@pytest.mark.parametrize("over", [{"betLine": 7, "extID": "fr-7"}, {"currency": "EUR", "extID": "fr-eur"}])
def test_free_rounds_without_game_ids_are_refused_only_when_no_game_has_the_line(http, wired, bet_lines, over):
    from catalog.models import BetLine

    BetLine.objects.filter(currency="EUR").delete()
    resp = post(http, wired, "/free-rounds", free_rounds_body(wired, gameIDs=None, **over))
    assert resp.status_code == 400, resp.text
    contracts.validate_error("core-api", "/free-rounds", resp)
    assert "bet line" in resp.json()["message"].lower() and not FreeRoundsCampaign.objects.exists()


ACCEPTED = {
    "en": "en_us",
    "EN": "en_us",
    "pt": "pt_br",
    "en_us": "en_us",
    "en-US": "en_us",
    "pt_BR": "pt_br",
    "pt-br": "pt_br",
    "es_MX": "es_mx",
    "es_AR": "es",
    "zh_TW": "zh_tw",
    "de_AT": "de",
    "en_GB": "en_us",
}


def test_every_documented_locale_form_is_accepted_and_anything_else_is_locale_not_supported(http, wired, games_catalog):
    for i, (sent, stored) in enumerate(ACCEPTED.items()):
        resp = post(http, wired, "/create-new-game", game_request(wired, locale=sent, sessionID=f"s-{i}"))
        assert resp.status_code == 200, (sent, resp.text)
        contracts.validate_response("core-api", "/create-new-game", resp)
        assert GameSession.objects.get(pk=resp.json()["gsID"]).language == stored, sent
    count = GameSession.objects.count()
    for sent in ("xx", "xx_yy", "english", "e", "en_", "_us", "en__us", "en_us_x"):
        resp = post(http, wired, "/create-new-game", game_request(wired, locale=sent))
        assert resp.status_code == 400, (sent, resp.text)
        contracts.validate_error("core-api", "/create-new-game", resp)
        assert resp.json()["code"] == "locale_not_supported"
    assert GameSession.objects.count() == count


def test_games_list_serves_a_real_horizontal_337x181_image_per_game(http, wired, games_catalog):
    resp = games_get(http, wired)
    assert resp.status_code == 200, resp.text
    contracts.validate_response("core-api", "/games", resp)
    for game in resp.json():
        images = game["images"]
        for kind in ("horizontal_337x181", "square", "horizontal", "widescreen", "vertical"):
            assert kind in images, (game["id"], kind)
            url = urlsplit(images["baseURL"]).path + images[kind]
            got = http.get(url)
            assert got.status_code == 200 and got.headers["content-type"].startswith("image/"), (url, got.status_code)
            assert got.content[:8] == b"\x89PNG\r\n\x1a\n"
        # 337 x 181: the PNG header's width and height.
        head = http.get(urlsplit(images["baseURL"]).path + images["horizontal_337x181"]).content
        assert (int.from_bytes(head[16:20]), int.from_bytes(head[20:24])) == (337, 181)


def test_init_demo_balance_must_exceed_the_minimum_bet(http, wired, games_catalog):
    low, _ = limits.stake_limits("USD")
    assert low == Decimal("0.10")  # the minimum bet in USD
    for balance in ("0.01", "0.10", "0"):
        resp = post(
            http,
            wired,
            "/create-new-game",
            game_request(wired, demo=True, sessionID=None, user=None, initDemoBalance=balance),
        )
        assert resp.status_code == 400, (balance, resp.text)
        contracts.validate_error("core-api", "/create-new-game", resp)
        assert "minimum bet" in resp.json()["message"] and resp.json()["details"] == "initDemoBalance"
    assert not GameSession.objects.exists()
    above = post(
        http,
        wired,
        "/create-new-game",
        game_request(wired, demo=True, sessionID=None, user=None, initDemoBalance="0.11"),
    )
    assert above.status_code == 200, above.text
    assert GameSession.objects.get(pk=above.json()["gsID"]).demo_balance == Decimal("0.11")


def test_advertised_locales_are_the_catalog_locales(http, wired, games_catalog):
    resp = games_get(http, wired)
    assert all(game["locales"] == catalog.LOCALES for game in resp.json())
