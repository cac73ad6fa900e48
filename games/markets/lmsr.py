"""LMSR (logarithmic market scoring rule) for two-outcome markets. Pure: no Django.

Notation: ``q_yes``, ``q_no`` are the outstanding shares, ``b`` the liquidity.
One share of the winning outcome pays 1 unit of the position's currency.

    C(q)      = b · ln(e^(q_yes/b) + e^(q_no/b))                      (cost function)
    price_yes = e^(q_yes/b) / (e^(q_yes/b) + e^(q_no/b))              (= 1 / (1 + e^((q_no − q_yes)/b)))

Everything is ``Decimal`` in a local context of 40 significant digits with the
widest exponent range, and written in log-sum-exp form so that nothing
overflows however large ``q/b`` gets: with ``z = (q_o − q_other)/b``,

    C(q)/b − q_other/b = softplus(z),    softplus(z) = max(z, 0) + ln(1 + e^(−|z|))

Buying: the shares ``s`` whose cost ``C(q + s·e_o) − C(q)`` is the stake have a
closed form. With ``y = stake/b`` and ``x = softplus(z) + y``:

    s = b · ln(e^((C+stake)/b) − e^(q_other/b)) − q_o
      = b · (softplus(−z) + y + ln(1 − e^(−x)))                       (stable form)

rounded DOWN to ``SHARE_PLACES`` (the house never hands out more shares than paid for).

Selling ``s`` shares back returns ``C(q) − C(q − s·e_o) = b · (softplus(z) − softplus(z − s/b))``
rounded DOWN to the currency precision; a cash-out pays that times ``1 − margin``,
rounded DOWN once more.

Displayed prices: YES is quantized to ``PRICE_PLACES`` (half-even) and clamped
to ``[0.0001, 0.9999]``; NO is ``1 − YES``, so the two always sum to exactly 1.
"""

from __future__ import annotations

from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

from core.money import quantum, to_decimal

YES = "YES"
NO = "NO"
OUTCOMES = (YES, NO)

PRECISION = 40
PRICE_PLACES = 4
SHARE_PLACES = 6
PRICE_MIN = Decimal("0.0001")
PRICE_MAX = Decimal("0.9999")

_CONTEXT = Context(
    prec=PRECISION,
    rounding=ROUND_HALF_EVEN,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
_ONE = Decimal(1)
_SMALL = Decimal("1e-12")
_GUARD = Decimal("1e-25")  # far above 40-digit noise, far below a share's 1e-6


class LmsrError(ValueError):
    """Invalid LMSR input (non-positive liquidity, negative amount, unknown outcome)."""


# ------------------------------------------------------------ primitives --


def _log1p(t: Decimal) -> Decimal:
    """ln(1 + t) for 0 ≤ t ≤ 1, accurate for tiny t too."""
    if t < _SMALL:
        return t - t * t / 2 + t * t * t / 3
    return (_ONE + t).ln()


def _softplus(z: Decimal) -> Decimal:
    """ln(1 + e^z) without overflow."""
    return max(z, Decimal(0)) + _log1p((-abs(z)).exp())


def _check(b, outcome: str | None = None) -> Decimal:
    b = to_decimal(b)
    if not b.is_finite() or b <= 0:
        raise LmsrError("liquidity b must be > 0")
    if outcome is not None and outcome not in OUTCOMES:
        raise LmsrError(f"outcome must be one of {OUTCOMES}")
    return b


def _non_negative(value, name: str) -> Decimal:
    value = to_decimal(value)
    if not value.is_finite() or value < 0:
        raise LmsrError(f"{name} must be a finite amount >= 0")
    return value


def _split(q_yes, q_no, outcome: str) -> tuple[Decimal, Decimal]:
    """(q_outcome, q_other)."""
    q_yes, q_no = to_decimal(q_yes), to_decimal(q_no)
    return (q_yes, q_no) if outcome == YES else (q_no, q_yes)


# --------------------------------------------------------------- pricing --


def cost(q_yes, q_no, b) -> Decimal:
    """C(q) = b · ln(e^(q_yes/b) + e^(q_no/b)), 40 significant digits."""
    b = _check(b)
    with localcontext(_CONTEXT):
        q_yes, q_no = to_decimal(q_yes), to_decimal(q_no)
        hi, lo = max(q_yes, q_no), min(q_yes, q_no)
        return +(hi + b * _softplus((lo - hi) / b))


def price_exact(q_yes, q_no, b, outcome: str = YES) -> Decimal:
    """The marginal price of ``outcome`` (its implied probability), unrounded."""
    b = _check(b, outcome)
    with localcontext(_CONTEXT):
        q_o, q_other = _split(q_yes, q_no, outcome)
        d = (q_other - q_o) / b
        if d > 0:  # 1/(1+e^d) = e^-d/(1+e^-d), never e^(large)
            e = (-d).exp()
            return e / (_ONE + e)
        return _ONE / (_ONE + d.exp())


def prices(q_yes, q_no, b) -> tuple[Decimal, Decimal]:
    """Displayed (YES, NO) prices: 4 dp, strictly inside (0, 1), summing to exactly 1."""
    yes = price_exact(q_yes, q_no, b, YES).quantize(quantum(PRICE_PLACES), rounding=ROUND_HALF_EVEN)
    yes = min(max(yes, PRICE_MIN), PRICE_MAX)
    return yes, _ONE - yes


def price(q_yes, q_no, b, outcome: str) -> Decimal:
    """Displayed price of one outcome (see :func:`prices`)."""
    _check(b, outcome)
    yes, no = prices(q_yes, q_no, b)
    return yes if outcome == YES else no


# ------------------------------------------------------------ buy / sell --


def stake_for_shares(q_yes, q_no, b, outcome: str, shares) -> Decimal:
    """Exact cost C(q + s·e_o) − C(q) of buying ``shares`` of ``outcome`` (unrounded)."""
    b = _check(b, outcome)
    shares = _non_negative(shares, "shares")
    with localcontext(_CONTEXT):
        q_o, q_other = _split(q_yes, q_no, outcome)
        z = (q_o - q_other) / b
        return +(b * (_softplus(z + shares / b) - _softplus(z)))


def shares_for_stake(q_yes, q_no, b, outcome: str, stake, places: int = SHARE_PLACES) -> Decimal:
    """Shares of ``outcome`` that ``stake`` buys at state q, rounded DOWN to ``places``."""
    b = _check(b, outcome)
    stake = _non_negative(stake, "stake")
    if stake == 0:
        return Decimal(0).quantize(quantum(places))
    with localcontext(_CONTEXT):
        q_o, q_other = _split(q_yes, q_no, outcome)
        z = (q_o - q_other) / b
        y = stake / b
        x = _softplus(z) + y
        exact = b * (_softplus(-z) + y + (_ONE - (-x).exp()).ln())
        # Shave the last digits' rounding noise so flooring can never round up past the true solution.
        return max(exact - _GUARD, Decimal(0)).quantize(quantum(places), rounding=ROUND_DOWN)


def sell_value_exact(q_yes, q_no, b, outcome: str, shares) -> Decimal:
    """C(q) − C(q − s·e_o): what selling ``shares`` back returns, unrounded."""
    b = _check(b, outcome)
    shares = _non_negative(shares, "shares")
    with localcontext(_CONTEXT):
        q_o, q_other = _split(q_yes, q_no, outcome)
        z = (q_o - q_other) / b
        return max(+(b * (_softplus(z) - _softplus(z - shares / b))), Decimal(0))


def sell_value(q_yes, q_no, b, outcome: str, shares, places: int = 2) -> Decimal:
    """:func:`sell_value_exact` rounded DOWN to the currency precision ``places``."""
    return sell_value_exact(q_yes, q_no, b, outcome, shares).quantize(quantum(places), rounding=ROUND_DOWN)


def cash_out_value(q_yes, q_no, b, outcome: str, shares, margin, places: int = 2) -> Decimal:
    """Sell value × (1 − margin), rounded DOWN to ``places``; 0 ≤ margin < 1."""
    margin = _non_negative(margin, "margin")
    if margin >= 1:
        raise LmsrError("margin must be < 1")
    with localcontext(_CONTEXT):
        value = sell_value_exact(q_yes, q_no, b, outcome, shares) * (_ONE - margin)
    return value.quantize(quantum(places), rounding=ROUND_DOWN)


def max_loss(b) -> Decimal:
    """The market maker's worst-case subsidy for a two-outcome market: b · ln 2."""
    b = _check(b)
    with localcontext(_CONTEXT):
        return b * Decimal(2).ln()
