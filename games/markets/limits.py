"""The market limits: the settings readers and the checks a stake must pass.

Settings (their defaults are written once, in ``config/settings/base.py``):
``HUB_MARKET_MARGIN`` (Decimal, default 0.05), ``HUB_MARKET_STAKE_LIMITS``
(currency → (min, max); key ``"*"`` = every other currency; default: fiat 0.10–500, crypto units
about as much), ``HUB_MARKET_MAX_EXPOSURE`` (an amount, or currency → amount with ``"*"``;
default None = 100 maximum stakes, 50000 USD: the most the market may have to pay out on one
outcome, per currency), ``HUB_CASHOUT_LIMIT_PER_DAY``
(cash-outs per player per UTC day, counted race-free in ``CashOutDay``; default 10; 0 = no limit).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from core.money import fits, to_decimal

from ..models import Market, Outcome
from .errors import MarketError

EXPOSURE_PER_MAX_STAKE = 100  # HUB_MARKET_MAX_EXPOSURE = None: 100 maximum stakes of the currency


def market_margin() -> Decimal:
    margin = to_decimal(str(settings.HUB_MARKET_MARGIN))
    if not Decimal(0) <= margin < 1:
        raise ValueError("HUB_MARKET_MARGIN must be in [0, 1)")
    return margin


def stake_limits(currency: str) -> tuple[Decimal, Decimal]:
    """(min, max) stake for ``currency`` from HUB_MARKET_STAKE_LIMITS: its own entry, else the ``"*"`` entry
    (``games.checks`` makes ``manage.py check`` refuse a table without one)."""
    limits = settings.HUB_MARKET_STAKE_LIMITS
    low, high = limits.get(currency) or limits["*"]
    return to_decimal(str(low)), to_decimal(str(high))


def max_exposure(currency: str) -> Decimal:
    """The most a market may pay out on one outcome in ``currency``: HUB_MARKET_MAX_EXPOSURE (an amount,
    or currency → amount with ``"*"``), else 100 maximum stakes of the currency."""
    default = stake_limits(currency)[1] * EXPOSURE_PER_MAX_STAKE
    value = settings.HUB_MARKET_MAX_EXPOSURE
    if isinstance(value, dict):
        value = value.get(currency, value.get("*"))
    return to_decimal(str(value)) if value is not None else default


def cashout_limit_per_day() -> int:
    return int(settings.HUB_CASHOUT_LIMIT_PER_DAY)


def check_stake(amount, currency: str, places: int) -> Decimal:
    try:
        amount = to_decimal(amount)
    except (TypeError, ArithmeticError, ValueError):
        raise MarketError("The stake must be a decimal amount.", code="invalid_amount") from None
    if not amount.is_finite() or amount <= 0 or not fits(amount, places):
        raise MarketError(f"The stake must be a positive amount with at most {places} decimals.", code="invalid_amount")
    low, high = stake_limits(currency)
    if amount < low:
        raise MarketError(f"The minimum stake is {low} {currency}.", code="stake_too_low")
    if amount > high:
        raise MarketError(f"The maximum stake is {high} {currency}.", code="stake_too_high")
    return amount


def exposure_after(market: Market, q: tuple[Decimal, Decimal], outcome: str, shares: Decimal) -> Decimal:
    """The most this market could pay out in the book's currency (one outcome wins) after adding ``shares``.

    Read from the book, not from the positions: a book's q is the market's opening q plus every open
    position's shares (``position_open`` adds them, ``position_cash_out`` takes them back out, both under the
    market's row lock), so the outstanding shares per outcome are ``q - opening q`` and the check costs the
    same on a market with 100,000 open positions as on a fresh one. The real and the demo books are apart, so
    demo positions never count toward the real exposure, nor real toward demo."""
    outstanding = {
        Outcome.YES.value: max(q[0] - market.q_yes, Decimal(0)),
        Outcome.NO.value: max(q[1] - market.q_no, Decimal(0)),
    }
    outstanding[outcome] += shares
    return max(outstanding.values())
