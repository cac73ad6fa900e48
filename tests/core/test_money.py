"""One precision table for the hub: the wallet, the games and the sandbox partner read ``core.money``'s."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import money
from sandbox import money as sandbox_money
from wallet import currency


@pytest.mark.parametrize("code", [*money.PRECISION, "USD", "JPY", "XYZ"])
def test_the_wallet_and_the_sandbox_read_the_same_table(code):
    assert currency.precision(code) == sandbox_money.precision_for(None, code) == money.precision(code)


def test_fiat_and_fun_carry_two_decimals_and_crypto_sub_units_the_units_places_less_their_scale():
    assert money.precision("USD") == money.precision("FUN") == money.DEFAULT_PLACES == 2
    assert (money.precision("BTC"), money.precision("mBTC"), money.precision("uBTC")) == (8, 5, 2)
    assert (money.precision("ETH"), money.precision("mETH")) == (8, 5)
    assert (money.precision("LTC"), money.precision("mLTC")) == (8, 5)


def test_an_own_setting_wins_over_the_table():
    assert money.precision("BTC", 4) == 4
    assert sandbox_money.precision_for({"BTC": 3}, "BTC") == 3
    assert sandbox_money.precision_for({"ETH": 3}, "BTC") == 8


def test_the_smallest_mbtc_stake_fits_the_sandbox_partners_precision():
    low = Decimal("0.001")  # the built-in HUB_MARKET_STAKE_LIMITS minimum for mBTC
    places = sandbox_money.precision_for(None, "mBTC")
    assert sandbox_money.check_amount(low, places) == low
