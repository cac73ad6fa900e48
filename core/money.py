"""Money helpers shared by the wallet, the games and the sandbox partner. Pure: no Django, no app.

Amounts are ``Decimal`` end to end: ``to_decimal`` refuses binary floats, JSON is parsed with every non-integer
number as ``Decimal`` (``loads_decimal``). Precision is a number of decimal places; ``PRECISION`` is the one table
of which currency has how many (the wallet, the games and the sandbox partner all read it), and ``precision``
lets a partner's (or a sandbox tenant's) own setting win over it.
"""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, NoReturn, TypedDict

DEFAULT_PLACES = 2  # fiat, the virtual FUN, and any currency the table does not list

# Decimal places on the wire per currency: fiat and FUN carry 2, crypto units more (PROTOCOLS.md, currencies).
# A sub-unit carries the unit's places less its scale: BTC 8, mBTC (0.001 BTC) 5, uBTC (0.000001 BTC) 2.
PRECISION: dict[str, int] = {
    "BTC": 8,
    "mBTC": 5,
    "uBTC": 2,
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
    "FUN": DEFAULT_PLACES,
}


def precision(currency: str, places: int | None = None) -> int:
    """Decimal places of ``currency``: ``places`` when given (a partner's own setting), else the table's."""
    if places is not None:
        return int(places)
    return PRECISION.get(currency, DEFAULT_PLACES)


class Digits(TypedDict):
    """A ``DecimalField``'s size, spread into it: ``models.DecimalField(**MONEY)``."""

    max_digits: int
    decimal_places: int


def quantum(places: int) -> Decimal:
    """The smallest amount at ``places`` decimals: ``quantum(2) == Decimal("0.01")``."""
    return Decimal(1).scaleb(-places)


def quantize_down(amount: Decimal | int | str, places: int) -> Decimal:
    """Round towards zero at ``places`` decimals (never in the player's favour on payouts)."""
    return Decimal(amount).quantize(quantum(places), rounding=ROUND_DOWN)


def fits(amount: Decimal, places: int) -> bool:
    """True when ``amount`` has no more than ``places`` decimals (False when it is too large to tell)."""
    try:
        return amount == amount.quantize(quantum(places), rounding=ROUND_DOWN)
    except InvalidOperation:
        return False


def to_decimal(value: object) -> Decimal:
    """Decimal from a Decimal, int or decimal string; binary floats are refused."""
    if isinstance(value, bool):
        raise TypeError("booleans are not amounts")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)):
        return Decimal(value)
    raise TypeError(f"expected Decimal, int or str, got {type(value).__name__}")


def _not_json(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:  # decimal.InvalidOperation: an exponent no Decimal holds (5e99999999999999999999)
        raise ValueError("a number out of range") from None


def loads_decimal(raw: bytes | str) -> Any:
    """Parse JSON with every non-integer number as Decimal (and no NaN/Infinity literals, which JSON lacks).
    Raises ValueError (or RecursionError) for anything that is not such a document."""
    return json.loads(raw, parse_float=_decimal, parse_constant=_not_json)
