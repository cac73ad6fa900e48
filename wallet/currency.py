"""The wallet's per-currency precision: fiat and FUN carry 2 decimals on the wire, crypto units more.

The arithmetic (quantum, rounding down) is ``core/money.py``'s; this module only knows which currency has how
many decimals.
"""

from __future__ import annotations

from decimal import Decimal

from core import money

CRYPTO_PRECISION = {
    "BTC": 8,
    "uBTC": 2,
    "mBTC": 5,
    "ETH": 8,
    "mETH": 5,
    "USDT": 6,
    "USDC": 6,
    "LTC": 8,
    "mLTC": 5,
    "DOGE": 8,
    "TRX": 6,
    "SOL": 8,
    "BNB": 8,
    "TON": 8,
}


def precision(currency: str) -> int:
    return CRYPTO_PRECISION.get(currency, money.DEFAULT_PLACES)


def quantum(currency: str) -> Decimal:
    return money.quantum(precision(currency))


def quantize_down(amount: Decimal, currency: str) -> Decimal:
    """Round towards zero at the currency's precision (never in the player's favour on payouts)."""
    return money.quantize_down(amount, precision(currency))


def has_valid_precision(amount: Decimal, currency: str) -> bool:
    return Decimal(amount) == quantize_down(amount, currency)


def money_str(amount: Decimal | None, currency: str) -> str | None:
    """A decimal string at the currency's precision (rounded down), e.g. '100.10'."""
    if amount is None:
        return None
    return str(quantize_down(amount, currency))
