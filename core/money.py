"""Money helpers shared by the wallet, the games and the sandbox partner. Pure: no Django, no app.

Amounts are ``Decimal`` end to end: ``to_decimal`` refuses binary floats, JSON is parsed with every non-integer
number as ``Decimal`` (``loads_decimal``). Precision is a number of decimal places; which currency has how many is
the caller's table (the wallet's in ``wallet/currency.py``, a sandbox tenant's in ``sandbox/money.py``), and
``games/money.py`` picks a partner's own precision or the wallet's.
"""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, NoReturn, TypedDict

DEFAULT_PLACES = 2  # fiat, and any currency a table does not list


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
