"""Money helpers for the sandbox partner: its precision table, amount validation, JSON rendering.

Money is ``Decimal`` end to end. Responses render balances as JSON numbers (IGSP)
or decimal strings (Public API) with the currency's precision; no float ever
touches an amount. The precision table, the shared arithmetic and the Decimal JSON parser are
``core/money.py``'s (a tenant's ``currency_precision`` may override the table); what is here is the
sandbox's own: storage limits, the two protocols' amount formats and the digit-for-digit JSON writer.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from core import money as core_money

# Stored with DecimalField(max_digits=20, decimal_places=8).
MAX_DECIMAL_PLACES = 8
MAX_INTEGER_DIGITS = 12
MAX_AMOUNT = Decimal(10) ** MAX_INTEGER_DIGITS

CURRENCY_RE = re.compile(r"[A-Za-z][A-Za-z0-9]{1,11}", re.ASCII)
# The Public API's amount pattern ^(0|[1-9]\d*)(\.\d+)?$ (ASCII digits only).
PUBLIC_AMOUNT_RE = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?", re.ASCII)


class AmountError(ValueError):
    pass


def precision_for(overrides: dict | None, currency: str) -> int:
    """Decimal places of ``currency`` for a tenant: its ``currency_precision`` override, else the hub's table."""
    return core_money.precision(currency, (overrides or {}).get(currency))


def display(amount: Decimal, places: int) -> Decimal:
    """The amount cut to the currency's precision (never shows more than there is)."""
    value = core_money.quantize_down(amount, places)
    return value.copy_abs() if value.is_zero() else value


def to_str(amount: Decimal, places: int) -> str:
    return format(display(amount, places), "f")


def check_amount(amount: Decimal, places: int) -> Decimal:
    """Validate a parsed amount: finite, >= 0, within storage range and the currency precision."""
    if not amount.is_finite():
        raise AmountError("must be a finite number")
    if amount < 0:
        raise AmountError("must be >= 0")
    if amount >= MAX_AMOUNT:
        raise AmountError("is too large")
    if not core_money.fits(amount, min(places, MAX_DECIMAL_PLACES)):
        raise AmountError(f"has more than {places} decimal places")
    return amount


def parse_json_number(value, places: int) -> Decimal:
    """An IGSP amount: a JSON number already parsed with ``parse_float=Decimal`` (int or Decimal)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise AmountError("must be a JSON number")
    return check_amount(Decimal(value), places)


def parse_public_amount(value, places: int) -> Decimal:
    """A Public API amount: a decimal string matching ``^(0|[1-9]\\d*)(\\.\\d+)?$``."""
    if not isinstance(value, str) or not PUBLIC_AMOUNT_RE.fullmatch(value):
        raise AmountError('must be a decimal string like "10.50"')
    return check_amount(Decimal(value), places)


def parse_control_amount(value) -> Decimal:
    """Control API balances: a decimal string or a JSON number, >= 0, at most 8 decimals."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise AmountError("must be a decimal string or number")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise AmountError("is not a decimal") from exc
    return check_amount(amount, MAX_DECIMAL_PLACES)


def loads(raw: bytes | str):
    """Parse JSON (UTF-8) with non-integers as Decimal; NaN/Infinity and numbers no Decimal holds raise
    ValueError."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return core_money.loads_decimal(raw)


def dumps(value) -> str:
    """Compact JSON where ``Decimal`` is written as a JSON number, digit for digit."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("cannot render a non-finite Decimal")
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats are not allowed in sandbox responses")
    return json.dumps(value)
