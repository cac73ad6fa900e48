"""Decimal helpers for game maths (pure, no Django).

Amounts are ``Decimal`` end to end. The per-currency precision table is the
wallet's (``wallet.currency``, also pure); a partner-specific precision can be
passed explicitly as ``places``.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation


def precision_for(currency: str, places: int | None = None) -> int:
    """Decimal places of ``currency``: ``places`` when given (a partner's own setting), else the wallet's table."""
    if places is not None:
        return int(places)
    from wallet.currency import precision  # imported here so lmsr/jackpot stay free of other apps

    return precision(currency)


def quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def fits(amount: Decimal, places: int) -> bool:
    """True when ``amount`` has no more than ``places`` decimals (False when it is too large to tell)."""
    try:
        return amount == amount.quantize(quantum(places), rounding=ROUND_DOWN)
    except InvalidOperation:
        return False


def to_decimal(value) -> Decimal:
    """Decimal from a Decimal, int or decimal string; binary floats are refused."""
    if isinstance(value, bool):
        raise TypeError("booleans are not amounts")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)):
        return Decimal(value)
    raise TypeError(f"expected Decimal, int or str, got {type(value).__name__}")
