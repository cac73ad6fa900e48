"""The wallet's amounts per currency: rounding at the currency's precision, and how the game page shows them.

The precision table (fiat and FUN carry 2 decimals on the wire, crypto units more) and the arithmetic
(quantum, rounding down) are ``core/money.py``'s; this module applies them by currency code.
"""

from __future__ import annotations

from decimal import Decimal

from core import money
from core.money import precision

# Display symbols (the game page's "currency display"); a currency without one shows its code.
SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "CHF": "CHF",
    "SEK": "kr",
    "NOK": "kr",
    "DKK": "kr",
    "PLN": "zł",
    "CZK": "Kč",
    "HUF": "Ft",
    "RON": "lei",
    "BRL": "R$",
    "MXN": "MX$",
    "ARS": "AR$",
    "CLP": "CL$",
    "COP": "CO$",
    "PEN": "S/",
    "TRY": "₺",
    "RUB": "₽",
    "UAH": "₴",
    "KZT": "₸",
    "UZS": "soʻm",
    "INR": "₹",
    "IDR": "Rp",
    "THB": "฿",
    "VND": "₫",
    "PHP": "₱",
    "MYR": "RM",
    "SGD": "S$",
    "HKD": "HK$",
    "TWD": "NT$",
    "JPY": "¥",
    "KRW": "₩",
    "CNY": "CN¥",
    "ZAR": "R",
    "NGN": "₦",
    "BTC": "₿",
    "ETH": "Ξ",
    "USDT": "₮",
}


def display(currency: str) -> dict:
    """How the game page shows amounts in ``currency``: its code, symbol and decimals on the wire."""
    return {"code": currency, "symbol": SYMBOLS.get(currency, currency), "decimals": precision(currency)}


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
