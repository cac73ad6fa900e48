"""LMSR maths: closed forms, rounding in the house's favour, stability for extreme states."""

from __future__ import annotations

import subprocess
import sys
from decimal import Context, Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.markets import lmsr

PROPS = settings(max_examples=60, deadline=None, database=None)  # no .hypothesis/ example store

qs = st.decimals(min_value=0, max_value=100_000, places=6, allow_nan=False, allow_infinity=False)
bs = st.decimals(min_value=10, max_value=5_000, places=2, allow_nan=False, allow_infinity=False)
stakes = st.decimals(min_value=Decimal("0.10"), max_value=500, places=2, allow_nan=False, allow_infinity=False)
outcomes = st.sampled_from(lmsr.OUTCOMES)


def _after_buy(q_yes, q_no, outcome, shares):
    return (q_yes + shares, q_no) if outcome == lmsr.YES else (q_yes, q_no + shares)


# ------------------------------------------------------------------ prices --


@PROPS
@given(
    q_yes=st.decimals(min_value=0, max_value=10**7, places=6, allow_nan=False, allow_infinity=False),
    q_no=st.decimals(min_value=0, max_value=10**7, places=6, allow_nan=False, allow_infinity=False),
    b=st.decimals(min_value=1, max_value=10_000, places=2, allow_nan=False, allow_infinity=False),
)
def test_prices_are_strictly_inside_0_1_and_sum_to_exactly_1(q_yes, q_no, b):
    yes, no = lmsr.prices(q_yes, q_no, b)
    assert Decimal(0) < yes < Decimal(1)
    assert Decimal(0) < no < Decimal(1)
    assert yes + no == Decimal(1)
    assert yes == yes.quantize(Decimal("0.0001"))
    assert lmsr.price(q_yes, q_no, b, lmsr.NO) == no


def test_price_matches_the_logistic_form():
    assert lmsr.prices(0, 0, 100) == (Decimal("0.5000"), Decimal("0.5000"))
    # e^(50/100) / (e^0.5 + 1) = 0.622459...
    assert lmsr.prices(50, 0, 100) == (Decimal("0.6225"), Decimal("0.3775"))
    assert lmsr.prices(0, 50, 100) == (Decimal("0.3775"), Decimal("0.6225"))
    with localcontext(Context(prec=60)):
        reference = 1 / (1 + Decimal("-0.5").exp())
    assert abs(lmsr.price_exact(50, 0, 100) - reference) < Decimal("1e-35")


# -------------------------------------------------------------- buy / sell --


@PROPS
@given(q_yes=qs, q_no=qs, b=bs, outcome=outcomes, stake=stakes)
def test_buying_then_selling_at_once_never_returns_more_than_the_stake(q_yes, q_no, b, outcome, stake):
    shares = lmsr.shares_for_stake(q_yes, q_no, b, outcome, stake)
    assert shares > 0
    assert shares == shares.quantize(Decimal("0.000001"))
    new_yes, new_no = _after_buy(q_yes, q_no, outcome, shares)
    value = lmsr.sell_value(new_yes, new_no, b, outcome, shares, places=2)
    cash_out = lmsr.cash_out_value(new_yes, new_no, b, outcome, shares, Decimal("0.05"), places=2)
    assert cash_out <= value <= stake
    # ...and loses only rounding: at most 1e-6 of a share plus one cent.
    assert stake - value <= Decimal("0.010001")
    assert cash_out <= (stake * Decimal("0.95")).quantize(Decimal("0.01"))


@PROPS
@given(q_yes=qs, q_no=qs, b=bs, outcome=outcomes, stake=stakes)
def test_shares_are_the_closed_form_inverse_of_the_cost(q_yes, q_no, b, outcome, stake):
    shares = lmsr.shares_for_stake(q_yes, q_no, b, outcome, stake)
    paid_for = lmsr.stake_for_shares(q_yes, q_no, b, outcome, shares)
    one_more_unit = lmsr.stake_for_shares(q_yes, q_no, b, outcome, shares + Decimal("0.000001"))
    # Rounded down: the shares cost at most the stake; one more micro-share would cost more
    # (up to the 1e-25 guard lmsr shaves off before flooring).
    assert paid_for <= stake
    assert stake < one_more_unit + Decimal("1e-24")
    # And the cost difference is C(q + s·e_o) − C(q) computed directly.
    new_yes, new_no = _after_buy(q_yes, q_no, outcome, shares)
    direct = lmsr.cost(new_yes, new_no, b) - lmsr.cost(q_yes, q_no, b)
    assert abs(direct - paid_for) < Decimal("1e-25")


@PROPS
@given(
    q_yes=qs,
    q_no=qs,
    b=bs,
    outcome=outcomes,
    s1=st.decimals(min_value=0, max_value=10_000, places=6, allow_nan=False, allow_infinity=False),
    extra=st.decimals(min_value=Decimal("0.000001"), max_value=10_000, places=6, allow_nan=False, allow_infinity=False),
)
def test_cost_is_strictly_increasing_in_shares(q_yes, q_no, b, outcome, s1, extra):
    s2 = s1 + extra
    # The price of more shares, C(q + s·e_o) − C(q), in its stable form: strictly increasing.
    assert lmsr.stake_for_shares(q_yes, q_no, b, outcome, s1) < lmsr.stake_for_shares(q_yes, q_no, b, outcome, s2)
    # C itself at 40 digits: never decreasing (a long shot's rise can be below C's last digit).
    c1 = lmsr.cost(*_after_buy(q_yes, q_no, outcome, s1), b)
    c2 = lmsr.cost(*_after_buy(q_yes, q_no, outcome, s2), b)
    assert c1 <= c2


@PROPS
@given(q_yes=qs, q_no=qs, b=bs, outcome=outcomes, a=stakes, c=stakes)
def test_more_stake_never_buys_fewer_shares(q_yes, q_no, b, outcome, a, c):
    low, high = sorted((a, c))
    assert lmsr.shares_for_stake(q_yes, q_no, b, outcome, low) <= lmsr.shares_for_stake(q_yes, q_no, b, outcome, high)


def test_shares_at_even_odds_match_the_textbook_formula():
    # q = 0: s = b·ln(2·e^(stake/b) − 1)
    b, stake = Decimal(100), Decimal(10)
    expected = b * (2 * (stake / b).exp() - 1).ln()
    assert lmsr.shares_for_stake(0, 0, b, lmsr.YES, stake) == expected.quantize(Decimal("0.000001"), "ROUND_DOWN")
    assert lmsr.shares_for_stake(0, 0, b, lmsr.YES, stake) == Decimal("19.090282")


# --------------------------------------------------------------- extremes --


@pytest.mark.parametrize(
    ("q_big", "b"),
    [(Decimal("1e6"), Decimal(10)), (Decimal("1e9"), Decimal(1)), (Decimal("123456789.123456"), Decimal("0.5"))],
)
def test_no_overflow_for_huge_q_over_b(q_big, b):
    assert lmsr.prices(q_big, 0, b) == (Decimal("0.9999"), Decimal("0.0001"))
    assert lmsr.prices(0, q_big, b) == (Decimal("0.0001"), Decimal("0.9999"))
    assert lmsr.cost(q_big, 0, b) >= q_big
    assert lmsr.cost(q_big, 0, b) - q_big < Decimal("1e-10")  # b·ln(1 + e^(−q/b)) vanishes
    # Buying the favourite: about one share per unit staked.
    fav = lmsr.shares_for_stake(q_big, 0, b, lmsr.YES, Decimal(10))
    assert Decimal("9.99") <= fav <= Decimal("10.000001")
    # Buying the long shot: very many shares, still finite and still round-trips within the stake.
    dog = lmsr.shares_for_stake(q_big, 0, b, lmsr.NO, Decimal(10))
    assert dog.is_finite()
    assert dog > q_big
    assert lmsr.sell_value(q_big, dog, b, lmsr.NO, dog) <= Decimal(10)
    assert lmsr.sell_value(q_big + fav, 0, b, lmsr.YES, fav) <= Decimal(10)


def test_selling_nothing_is_worth_nothing_and_bad_input_is_refused():
    assert lmsr.sell_value(10, 0, 100, lmsr.YES, 0) == Decimal("0.00")
    assert lmsr.shares_for_stake(0, 0, 100, lmsr.YES, 0) == Decimal(0)
    with pytest.raises(lmsr.LmsrError):
        lmsr.prices(0, 0, 0)
    with pytest.raises(lmsr.LmsrError):
        lmsr.shares_for_stake(0, 0, 100, "MAYBE", 1)
    with pytest.raises(lmsr.LmsrError):
        lmsr.shares_for_stake(0, 0, 100, lmsr.YES, Decimal(-1))
    with pytest.raises(lmsr.LmsrError):
        lmsr.cash_out_value(10, 0, 100, lmsr.YES, 10, Decimal(1))
    with pytest.raises(TypeError):
        lmsr.prices(0.5, 0, 100)  # binary floats are not money


def test_max_loss_is_b_ln_2():
    assert abs(lmsr.max_loss(100) - Decimal("69.31471805599453094172321214581765680755")) < Decimal("1e-35")


def test_pure_modules_import_without_django_or_other_apps():
    code = (
        "import sys, games.markets.lmsr, games.traderhero.fairness; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'wallet', 'integration_hub'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(lmsr.__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "[]"
