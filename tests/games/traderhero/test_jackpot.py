"""TraderHero: provably fair derivation, payout table exactly at the target RTP, simulated RTP."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from fractions import Fraction

import pytest

from games.traderhero import fairness as jackpot

SEED = "0" * 63 + "1"
SEED_HASH = "c386d8e8d07342f2e39e189c8e6c57bb205bb373fe4e3a6f69404a8bb767b417"
FULL_WIN_PATH = [
    10000,
    10149,
    10086,
    9923,
    9818,
    9845,
    10010,
    10199,
    10412,
    10361,
    10200,
    10183,
    9980,
    9957,
    10018,
    9923,
    10128,
    10005,
    9932,
    10089,
    10206,
    10397,
]


# ------------------------------------------------------------------ table --


@pytest.mark.parametrize("rtp", ["0.85", "0.90", "0.95", "0.97"])
def test_table_expected_return_is_exactly_the_target(rtp):
    table = jackpot.tier_table(Decimal(rtp))
    assert table.expected_return() == Fraction(rtp)
    assert sum((t.probability for t in table.tiers), table.lose_probability) == 1
    assert 0 < table.lose_probability < 1
    # The integer thresholds actually used never pay more than the target, and miss it by < 1e-11.
    discrete = table.discrete_expected_return()
    assert Fraction(rtp) - Fraction(1, 10**11) < discrete <= Fraction(rtp)
    thresholds = [t.threshold for t in table.tiers]
    assert thresholds == sorted(thresholds)
    assert thresholds[-1] < jackpot.DRAW_SPACE


def test_table_has_a_rare_jackpot_and_fixed_multipliers():
    table = jackpot.tier_table("0.95")
    assert [(t.name, t.multiplier) for t in table.tiers] == [
        ("jackpot", Decimal(100)),
        ("x5", Decimal(5)),
        ("x2", Decimal(2)),
        ("x1.5", Decimal("1.5")),
    ]
    jackpot_p = table.tiers[0].probability
    assert Fraction(1, 20000) < jackpot_p < Fraction(1, 5000)
    # A higher RTP only raises the win probability; the relative weights stay.
    low, high = jackpot.tier_table("0.85"), jackpot.tier_table("0.97")
    assert high.lose_probability < low.lose_probability
    assert high.tiers[0].probability / high.tiers[1].probability == low.tiers[0].probability / low.tiers[1].probability


@pytest.mark.parametrize("rtp", ["0.84", "0.98", "1", "-0.95", "NaN"])
def test_rtp_outside_85_97_is_refused(rtp):
    with pytest.raises(jackpot.FairnessError):
        jackpot.tier_table(Decimal(rtp))


def test_table_dict_is_json_friendly():
    data = jackpot.tier_table("0.95").as_dict()
    assert data["version"] == 1
    assert data["rtp"] == "0.95"
    assert data["drawSpace"] == 2**48
    assert data["tiers"][0] == {"name": "jackpot", "multiplier": "100", "threshold": 26488482206}


# -------------------------------------------------------------- fairness --


def test_known_answer_vector():
    """The vector a JavaScript verifier must reproduce (see the module docstring)."""
    assert jackpot.hash_server_seed(SEED) == SEED_HASH
    digest = hmac.new(SEED.encode(), b"player-seed:0", hashlib.sha256).digest()
    assert digest == jackpot.round_digest(SEED, "player-seed", 0)
    assert digest.hex().startswith("5122c2ab72ee")
    outcome = jackpot.verify(SEED, SEED_HASH, "player-seed", 0, "up")
    assert outcome.draw == 0x5122C2AB72EE == 89209736753902
    assert (outcome.tier, outcome.multiplier) == ("x1.5", Decimal("1.5"))
    assert outcome.path == FULL_WIN_PATH
    assert outcome.win
    assert outcome.ends_up
    lost = jackpot.play(SEED, "player-seed", 1, "up")
    assert (lost.tier, lost.multiplier, lost.draw) == ("lose", Decimal(0), 155420793850207)
    assert not lost.ends_up


def test_direction_only_mirrors_the_path():
    for nonce in range(200):
        up = jackpot.play(SEED, "c", nonce, "up")
        down = jackpot.play(SEED, "c", nonce, "down")
        assert (up.tier, up.multiplier, up.draw) == (down.tier, down.multiplier, down.draw)
        # The path ends the way that matches the result for the chosen direction.
        assert up.ends_up == up.win
        assert down.ends_up == (not down.win)
        assert [p - 10000 for p in up.path] == [10000 - p for p in down.path]
        assert len(up.path) == jackpot.PATH_MOVES + 1
        assert min(up.path) > 0


def test_verify_rejects_a_seed_that_does_not_match_its_hash():
    other = jackpot.new_server_seed()
    with pytest.raises(jackpot.FairnessError):
        jackpot.verify(other, SEED_HASH, "player-seed", 0, "up")
    with pytest.raises(jackpot.FairnessError):
        jackpot.verify("not-hex", SEED_HASH, "player-seed", 0, "up")
    assert jackpot.verify(SEED, SEED_HASH.upper(), "player-seed", 0, "down").multiplier == Decimal("1.5")


@pytest.mark.parametrize(
    "kwargs",
    [{"nonce": -1}, {"nonce": True}, {"direction": "sideways"}, {"server_seed": "A" * 64}, {"client_seed": None}],
)
def test_bad_inputs_are_refused(kwargs):
    args = {"server_seed": SEED, "client_seed": "c", "nonce": 0, "direction": "up", **kwargs}
    with pytest.raises(jackpot.FairnessError):
        jackpot.play(**args)


def test_fresh_seeds_are_random_and_hash_is_sha256_of_the_text():
    a, b = jackpot.new_server_seed(), jackpot.new_server_seed()
    assert a != b
    assert len(a) == 64
    assert int(a, 16) >= 0
    assert jackpot.hash_server_seed(a) == hashlib.sha256(a.encode("ascii")).hexdigest()


@pytest.mark.parametrize(
    ("stake", "multiplier", "places", "expected"),
    [
        ("0.03", "1.5", 2, "0.04"),  # 0.045 → rounded down
        ("1.00", "100", 2, "100.00"),
        ("0.00012345", "1.5", 8, "0.00018517"),
        ("10", "0", 2, "0.00"),
    ],
)
def test_payout_is_rounded_down_to_the_currency(stake, multiplier, places, expected):
    assert jackpot.payout(Decimal(stake), Decimal(multiplier), places) == Decimal(expected)


# ------------------------------------------------------------- simulation --


def _tolerance(rtp: str, rounds: int, sigmas: int = 4) -> Decimal:
    variance = jackpot.tier_table(rtp).variance()
    return sigmas * (Decimal(variance.numerator) / Decimal(variance.denominator) / rounds).sqrt()


@pytest.mark.parametrize("rtp", ["0.85", "0.95", "0.97"])
def test_simulated_rtp_is_within_four_standard_errors(rtp):
    rounds = 100_000
    result = jackpot.simulate(rounds, rtp, seed=20251017)
    # sd of one round ≈ 1.5 → 1 SE ≈ 0.005 at 100k rounds; 4 SE ≈ 0.02.
    tolerance = _tolerance(rtp, rounds)
    assert Decimal("0.015") < tolerance < Decimal("0.025")
    assert abs(result.measured - Decimal(rtp)) <= tolerance
    assert sum(result.counts.values()) == rounds
    assert result == jackpot.simulate(rounds, rtp, seed=20251017)  # deterministic


def test_full_hmac_path_gives_the_same_distribution():
    rounds = 20_000
    result = jackpot.simulate(rounds, "0.95", seed=7, full=True)
    assert abs(result.measured - Decimal("0.95")) <= _tolerance("0.95", rounds)
    table = jackpot.tier_table("0.95")
    expected_losses = rounds * table.lose_probability
    # Binomial count of losing rounds within 4 sd.
    sd = (rounds * table.lose_probability * (1 - table.lose_probability)) ** 0.5
    assert abs(result.counts["lose"] - expected_losses) < 4 * sd
