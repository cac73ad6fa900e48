"""The seeded catalog, bet lines and the catalog selectors."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import BetLine, Game, GameStatus
from games import catalog, selectors
from games.models import Market, MarketStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def test_provider_and_games_are_seeded_with_fixed_ids():
    provider = selectors.provider_get()
    assert provider.pk == catalog.PROVIDER_ID
    assert provider.name == "Solex Games"
    assert {"USD", "EUR", "GBP", "FUN", "BTC", "uBTC", "USDT", "TON"} <= set(provider.currencies)
    pm = Game.objects.get(pk=catalog.PREDICTION_MARKETS_ID)
    th = Game.objects.get(pk=catalog.TRADERHERO_JACKPOT_ID)
    assert (pm.slug, pm.name) == ("prediction-markets", "Prediction Markets")
    assert (th.slug, th.name, th.rtp) == ("traderhero-jackpot", "TraderHero Jackpot", Decimal("0.9500"))
    for game in (pm, th):
        assert game.provider_id == catalog.PROVIDER_ID
        assert game.status == GameStatus.ACTIVE
        assert game.deleted_at is None
        assert game.locales == [
            "pt_br",
            "en_us",
            "es",
            "es_mx",
            "ru",
            "zh_tw",
            "ko",
            "th",
            "vi",
            "hi",
            "ja",
            "fr",
            "tr",
            "de",
            "id",
            "uz",
        ]
        assert game.platforms == ["desktop", "mobile"]
        assert game.currencies == provider.currencies
        assert game.categories
        assert game.images == {
            "baseURL": f"/static/games/{game.slug}",
            "square": "/square.png",
            "horizontal": "/horizontal.png",
            "horizontal_337x181": "/horizontal_337x181.png",
            "widescreen": "/widescreen.png",
            "vertical": "/vertical.png",
        }
    # Free rounds are TraderHero's (migration 0005): a market position settles weeks later.
    assert th.has_free_spins
    assert not pm.has_free_spins
    assert selectors.bet_lines_for(game=pm) == {}


def test_bet_lines_are_a_usd_menu_numbered_from_one():
    for game_id, coeff in ((catalog.TRADERHERO_JACKPOT_ID, "100.00"),):
        game = Game.objects.get(pk=game_id)
        lines = selectors.bet_lines_for(game=game)
        assert list(lines) == ["USD"]
        assert [(line.position, line.max_bet, line.max_multiplier) for line in lines["USD"]] == [
            (i, Decimal(bet), Decimal(coeff)) for i, bet in enumerate(["0.10", "0.20", "0.50", "1.00", "2.00"], 1)
        ]
        assert selectors.bet_lines_for(game=game, currency="EUR") == {}


def test_bet_line_position_is_unique_per_game_and_currency():
    game = Game.objects.get(pk=catalog.TRADERHERO_JACKPOT_ID)
    with pytest.raises(IntegrityError):
        BetLine.objects.create(game=game, currency="USD", position=1, max_bet=Decimal("5"), max_multiplier=5)


def test_games_with_bet_lines_prefetches(django_assert_num_queries):
    with django_assert_num_queries(2):
        games = list(selectors.games_with_bet_lines(currencies=["USD"]))
        assert sorted(len(g.bet_lines.all()) for g in games) == [0, 5]


def test_demo_markets_are_seeded_open_with_varied_prices():
    demo = list(Market.objects.all())
    assert len(demo) == 5
    assert all(m.status == MarketStatus.OPEN for m in demo)
    assert all(Decimal(100) <= m.b <= Decimal(500) for m in demo)
    assert all(m.close_at > timezone.now() + timedelta(days=60) for m in demo)
    assert any(m.q_yes or m.q_no for m in demo)


@pytest.mark.parametrize(
    "ref",
    [
        catalog.TRADERHERO_JACKPOT_ID,
        str(catalog.TRADERHERO_JACKPOT_ID),
        str(catalog.TRADERHERO_JACKPOT_ID).upper(),
        "traderhero-jackpot",
    ],
)
def test_game_get_by_uuid_or_slug(ref):
    assert selectors.game_get(ref).pk == catalog.TRADERHERO_JACKPOT_ID


@pytest.mark.parametrize("ref", [None, "", "nope", str(uuid.uuid4()), "../etc", 42])
def test_game_get_unknown_is_none(ref):
    assert selectors.game_get(ref) is None


def test_soft_deleted_game_is_hidden_but_shows_in_delta_syncs():
    game = Game.objects.get(pk=catalog.PREDICTION_MARKETS_ID)
    before = timezone.now() - timedelta(microseconds=1)
    catalog_services.game_soft_delete(game=game)
    assert selectors.game_get("prediction-markets") is None
    assert selectors.game_get(catalog.PREDICTION_MARKETS_ID) is None
    assert [g.slug for g in selectors.games_list()] == ["traderhero-jackpot"]
    delta = list(selectors.games_list(before))
    assert [g.slug for g in delta] == ["prediction-markets"]
    assert delta[0].deleted_at is not None
    assert len(selectors.games_list(include_deleted=True)) == 2
    catalog_services.game_restore(game=game)
    assert selectors.game_get("prediction-markets") is not None


def test_games_list_is_in_a_stable_update_order():
    pm = Game.objects.get(pk=catalog.PREDICTION_MARKETS_ID)
    pm.name = "Prediction Markets"
    pm.save()  # touches updated_at: now last
    assert [g.slug for g in selectors.games_list()] == ["traderhero-jackpot", "prediction-markets"]
    assert list(selectors.games_list()) == list(selectors.games_list())
    assert list(selectors.games_list(timezone.now())) == []
