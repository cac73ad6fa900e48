"""The catalog as seeded by migration 0003: fixed ids and attribute values (constants, and the look-up of the
models the seeds write; no model import).

The ids are fixed so docs, tests and partners can refer to them. The seed
migration imports these values: change them only in a way that stays valid for
an already-migrated database (a new migration updating the rows).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

PROVIDER_ID = uuid.UUID("5a1e7000-0000-4000-8000-000000000001")
PROVIDER_NAME = "Solex Games"

PREDICTION_MARKETS_ID = uuid.UUID("5a1e7000-0000-4000-8000-000000000101")
PREDICTION_MARKETS_SLUG = "prediction-markets"
TRADERHERO_JACKPOT_ID = uuid.UUID("5a1e7000-0000-4000-8000-000000000102")
TRADERHERO_JACKPOT_SLUG = "traderhero-jackpot"

FIAT_CURRENCIES = (
    "USD",
    "EUR",
    "GBP",
    "CAD",
    "AUD",
    "NZD",
    "CHF",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "HUF",
    "RON",
    "BRL",
    "MXN",
    "ARS",
    "CLP",
    "COP",
    "PEN",
    "TRY",
    "RUB",
    "UAH",
    "KZT",
    "UZS",
    "INR",
    "IDR",
    "THB",
    "VND",
    "PHP",
    "MYR",
    "SGD",
    "HKD",
    "TWD",
    "JPY",
    "KRW",
    "CNY",
    "ZAR",
    "NGN",
)
VIRTUAL_CURRENCIES = ("FUN",)
CRYPTO_CURRENCIES = (
    "BTC",
    "uBTC",
    "ETH",
    "mETH",
    "USDT",
    "USDC",
    "LTC",
    "mLTC",
    "DOGE",
    "TRX",
    "SOL",
    "BNB",
    "TON",
)
CURRENCIES = [*FIAT_CURRENCIES, *VIRTUAL_CURRENCIES, *CRYPTO_CURRENCIES]

# The Public API locales (IETF BCP 47, lowercase, underscore).
LOCALES = ["pt_br", "en_us", "es", "es_mx", "ru", "zh_tw", "ko", "th", "vi", "hi", "ja", "fr", "tr", "de", "id", "uz"]
PLATFORMS = ["desktop", "mobile"]

PROVIDER_IMAGES = [{"name": "solex-logo.png", "url": "/static/games/solex/logo.png", "type": "logo"}]


def game_images(slug: str) -> dict[str, str]:
    """Paths under ``static/games/<slug>/`` (rendered from the game art by ``scripts/render_game_images.sh``)."""
    return {
        "baseURL": f"/static/games/{slug}",
        "square": "/square.png",
        "horizontal": "/horizontal.png",
        "horizontal_337x181": "/horizontal_337x181.png",
        "widescreen": "/widescreen.png",
        "vertical": "/vertical.png",
    }


# Free-rounds bet lines (position is 1-based): (max bet, max multiplier).
BET_LINE_MAX_BETS = (Decimal("0.10"), Decimal("0.20"), Decimal("0.50"), Decimal("1.00"), Decimal("2.00"))

GAMES = (
    {
        "id": PREDICTION_MARKETS_ID,
        "slug": PREDICTION_MARKETS_SLUG,
        "name": "Prediction Markets",
        "rtp": Decimal("0.9500"),
        "categories": ["prediction markets", "trading"],
        "bet_line_multiplier": Decimal("5.00"),
    },
    {
        "id": TRADERHERO_JACKPOT_ID,
        "slug": TRADERHERO_JACKPOT_SLUG,
        "name": "TraderHero Jackpot",
        "rtp": Decimal("0.9500"),
        "categories": ["trading", "jackpot", "instant win"],
        # The jackpot tier pays 100x (games.traderhero.fairness.TIERS), so the true maximum coefficient is 100.
        "bet_line_multiplier": Decimal("100.00"),
    },
)
BET_LINE_CURRENCY = "USD"


def seed_model(apps, name: str):
    """The catalog's model ``name`` (Provider, Game, BetLine) in ``apps``, for the data migrations that seed it.

    In a migration's own state it is ``games.<name>``; in the live registry ``catalog.<name>`` (the catalog
    moved to its own app in ``catalog`` 0001), where the test fixtures replay the seeds after a flush.
    """
    try:
        return apps.get_model("games", name)
    except LookupError:
        return apps.get_model("catalog", name)
