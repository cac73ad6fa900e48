"""TraderHero jackpot: provably fair outcome, price path and payout table. Pure: no Django.

The player picks a direction (``up`` or ``down``) and stakes. Whether the round
wins, and which multiplier it pays, comes from a hash the house committed to
before the bet; the direction only decides which way the displayed price path
ends, so it never changes the expected return.

Algorithm (version 1), reimplementable in browser JavaScript with Web Crypto
(``crypto.subtle`` HMAC / SHA-256) and plain integers:

1. ``server_seed`` is 64 lowercase hex characters (32 random bytes). Before the
   round, the house publishes ``server_seed_hash = hex(SHA-256(ascii(server_seed)))``
   — the hash of the 64-character *text*, not of the decoded bytes.
2. ``client_seed`` is any string (the player may choose it; otherwise the house
   picks 16 hex characters); ``nonce`` is a non-negative integer.
3. ``digest = HMAC-SHA256(key = ascii(server_seed), message = utf8(client_seed + ":" + nonce))``
   with the nonce written in decimal (``"abc:0"``). 32 bytes.
4. ``draw`` = the first 6 bytes of ``digest`` as a big-endian unsigned integer,
   ``0 ≤ draw < 2^48`` (exact in a JS Number: ``parseInt(hex.slice(0, 12), 16)``).
5. The tier table (published per RTP by :func:`tier_table`, see
   ``TierTable.as_dict``) lists the winning tiers in order with cumulative
   integer ``threshold`` values out of ``2^48``; the round pays the multiplier of
   the first tier with ``draw < threshold``, or 0 (lose) when ``draw`` is at or
   above the last threshold.
6. Path: 21 moves ``d[i] = 2 * digest[6 + i] - 255`` for ``i = 0..20`` (odd
   integers in [−255, 255]; their sum is odd, so never 0). The path must end up
   when (win and direction = up) or (lose and direction = down), otherwise
   down; if ``sum(d) > 0`` disagrees with that, every move is negated. The path
   is the 22 running prices ``10000, 10000 + d[0], 10000 + d[0] + d[1], …`` in
   hundredths (10000 = 100.00); it never goes below 10000 − 21·255 > 0.
7. Payout = stake × multiplier, rounded DOWN to the currency's precision.

Tier table for a target RTP ``R`` (0.85 ≤ R ≤ 0.97): the multipliers and their
relative weights given a win are fixed (``TIERS``); the win probability is
``R / Σ(w·m)/Σw``, so the exact expected return is ``R``. Each tier's width in
draws is ``floor(p · 2^48)``, so the integer table returns at most ``R`` (less by
under 1e-11).
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import random
import re
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from functools import lru_cache

from core.money import quantum, to_decimal

ALGORITHM_VERSION = 1
UP = "up"
DOWN = "down"
DIRECTIONS = (UP, DOWN)

DRAW_BYTES = 6
DRAW_SPACE = 1 << (8 * DRAW_BYTES)  # 2^48
PATH_MOVES = 21
PATH_START = 10000  # hundredths: 100.00

RTP_MIN = Decimal("0.85")
RTP_MAX = Decimal("0.97")
DEFAULT_RTP = Decimal("0.95")

# (name, multiplier, relative weight among winning rounds). Order = order of the draw intervals.
TIERS: tuple[tuple[str, Decimal, int], ...] = (
    ("jackpot", Decimal("100"), 2),
    ("x5", Decimal("5"), 998),
    ("x2", Decimal("2"), 3000),
    ("x1.5", Decimal("1.5"), 6000),
)
LOSE = "lose"

_SEED_RE = re.compile(r"[0-9a-f]{64}")


class FairnessError(ValueError):
    """A seed, nonce, direction or RTP is invalid, or a seed does not match its hash."""


# ------------------------------------------------------------------ table --


@dataclass(frozen=True)
class Tier:
    name: str
    multiplier: Decimal
    probability: Fraction  # exact theoretical probability
    threshold: int  # cumulative exclusive upper bound of this tier's draws, out of DRAW_SPACE


@dataclass(frozen=True)
class TierTable:
    rtp: Decimal
    tiers: tuple[Tier, ...]  # winning tiers; draws at or above the last threshold lose
    _bounds: tuple[int, ...] = field(repr=False, compare=False, default=())

    @property
    def lose_probability(self) -> Fraction:
        return 1 - sum((t.probability for t in self.tiers), Fraction(0))

    @property
    def bounds(self) -> tuple[int, ...]:
        """Each winning tier's upper draw bound, in ``tiers`` order."""
        return self._bounds

    def tier_index(self, draw: int) -> int:
        """Index into ``tiers`` of the tier ``draw`` falls in; ``len(tiers)`` means lose."""
        return bisect.bisect_right(self._bounds, draw)

    def multiplier_for(self, draw: int) -> tuple[str, Decimal]:
        if not 0 <= draw < DRAW_SPACE:
            raise FairnessError("draw out of range")
        i = self.tier_index(draw)
        if i == len(self.tiers):
            return LOSE, Decimal(0)
        return self.tiers[i].name, self.tiers[i].multiplier

    def expected_return(self) -> Fraction:
        """Exact theoretical EV per unit staked (equals ``rtp``)."""
        return sum((t.probability * Fraction(t.multiplier) for t in self.tiers), Fraction(0))

    def discrete_expected_return(self) -> Fraction:
        """Exact EV of the integer thresholds actually used (≤ ``rtp``)."""
        total, low = Fraction(0), 0
        for t in self.tiers:
            total += Fraction(t.threshold - low, DRAW_SPACE) * Fraction(t.multiplier)
            low = t.threshold
        return total

    def variance(self) -> Fraction:
        """Variance of the return per unit staked (for simulation tolerances)."""
        second = sum((t.probability * Fraction(t.multiplier) ** 2 for t in self.tiers), Fraction(0))
        return second - self.expected_return() ** 2

    def as_dict(self) -> dict:
        """The table as the game client needs it to verify rounds (strings and integers only)."""
        return {
            "version": ALGORITHM_VERSION,
            "rtp": str(self.rtp),
            "drawSpace": DRAW_SPACE,
            "tiers": [{"name": t.name, "multiplier": str(t.multiplier), "threshold": t.threshold} for t in self.tiers],
        }


def check_rtp(rtp) -> Decimal:
    rtp = to_decimal(rtp)
    if not rtp.is_finite() or not RTP_MIN <= rtp <= RTP_MAX:
        raise FairnessError(f"rtp must be between {RTP_MIN} and {RTP_MAX}")
    return rtp


@lru_cache(maxsize=32)
def _table(rtp: Decimal) -> TierTable:
    weight_total = sum(w for _, _, w in TIERS)
    return_per_win = sum((Fraction(m) * w for _, m, w in TIERS), Fraction(0)) / weight_total
    p_win = Fraction(rtp) / return_per_win
    tiers, cumulative = [], 0
    for name, multiplier, weight in TIERS:
        p = p_win * Fraction(weight, weight_total)
        cumulative += (p * DRAW_SPACE).numerator // (p * DRAW_SPACE).denominator
        tiers.append(Tier(name, multiplier, p, cumulative))
    return TierTable(rtp, tuple(tiers), tuple(t.threshold for t in tiers))


def tier_table(rtp=DEFAULT_RTP) -> TierTable:
    """The payout table whose expected return is exactly ``rtp`` (0.85–0.97)."""
    return _table(check_rtp(rtp).normalize())


# -------------------------------------------------------------- fairness --


def new_server_seed() -> str:
    return secrets.token_hex(32)


def new_client_seed() -> str:
    return secrets.token_hex(8)


def hash_server_seed(server_seed: str) -> str:
    return hashlib.sha256(server_seed.encode("ascii")).hexdigest()


def _check_inputs(server_seed: str, client_seed: str, nonce: int) -> None:
    if not isinstance(server_seed, str) or not _SEED_RE.fullmatch(server_seed):
        raise FairnessError("server seed must be 64 lowercase hex characters")
    if not isinstance(client_seed, str):
        raise FairnessError("client seed must be a string")
    if isinstance(nonce, bool) or not isinstance(nonce, int) or nonce < 0:
        raise FairnessError("nonce must be an integer >= 0")


def round_digest(server_seed: str, client_seed: str, nonce: int) -> bytes:
    """HMAC-SHA256(ascii(server_seed), utf8(f"{client_seed}:{nonce}"))."""
    _check_inputs(server_seed, client_seed, nonce)
    message = f"{client_seed}:{nonce}".encode()
    return hmac.new(server_seed.encode("ascii"), message, hashlib.sha256).digest()


def draw_from_digest(digest: bytes) -> int:
    return int.from_bytes(digest[:DRAW_BYTES], "big")


def path_from_digest(digest: bytes, ends_up: bool) -> list[int]:
    moves = [2 * byte - 255 for byte in digest[DRAW_BYTES : DRAW_BYTES + PATH_MOVES]]
    if (sum(moves) > 0) != ends_up:
        moves = [-m for m in moves]
    path, price = [PATH_START], PATH_START
    for move in moves:
        price += move
        path.append(price)
    return path


@dataclass(frozen=True)
class Outcome:
    tier: str
    multiplier: Decimal
    draw: int
    path: list[int]

    @property
    def win(self) -> bool:
        return self.multiplier > 0

    @property
    def ends_up(self) -> bool:
        return self.path[-1] > self.path[0]


def _check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise FairnessError(f"direction must be one of {DIRECTIONS}")
    return direction


def play(server_seed: str, client_seed: str, nonce: int, direction: str, rtp=DEFAULT_RTP) -> Outcome:
    """The outcome of one round: tier, multiplier and the displayed path."""
    _check_direction(direction)
    table = tier_table(rtp)
    digest = round_digest(server_seed, client_seed, nonce)
    draw = draw_from_digest(digest)
    tier, multiplier = table.multiplier_for(draw)
    win = multiplier > 0
    ends_up = win == (direction == UP)
    return Outcome(tier, multiplier, draw, path_from_digest(digest, ends_up))


def verify(
    server_seed: str, server_seed_hash: str, client_seed: str, nonce: int, direction: str, rtp=DEFAULT_RTP
) -> Outcome:
    """Check the revealed seed against the committed hash and recompute the round."""
    if not isinstance(server_seed_hash, str) or not hmac.compare_digest(
        hash_server_seed(server_seed) if isinstance(server_seed, str) and server_seed.isascii() else "",
        server_seed_hash.lower(),
    ):
        raise FairnessError("server seed does not match its hash")
    return play(server_seed, client_seed, nonce, direction, rtp)


def payout(stake, multiplier, places: int) -> Decimal:
    """stake × multiplier rounded DOWN to ``places`` decimals."""
    stake, multiplier = to_decimal(stake), to_decimal(multiplier)
    if stake < 0 or multiplier < 0:
        raise FairnessError("stake and multiplier must be >= 0")
    return (stake * multiplier).quantize(quantum(places), rounding=ROUND_DOWN)


# ------------------------------------------------------------ simulation --


@dataclass(frozen=True)
class Simulation:
    rounds: int
    target: Decimal
    measured: Decimal  # total returned / total staked, 1 unit per round
    counts: dict[str, int]

    @property
    def tolerance_sigma(self) -> Decimal:
        """One standard error of the measured RTP for this many rounds."""
        var = tier_table(self.target).variance()
        return (Decimal(var.numerator) / Decimal(var.denominator) / self.rounds).sqrt()


def simulate(rounds: int, rtp=DEFAULT_RTP, seed: int | None = None, full: bool = False) -> Simulation:
    """Play ``rounds`` rounds of 1 unit with the table for ``rtp``.

    Fast path (default): draw the 48-bit integer directly from a seeded PRNG —
    the same uniform distribution the HMAC digest gives. ``full=True`` derives
    every round through :func:`play` with a fresh server seed (slower).
    """
    if rounds <= 0:
        raise ValueError("rounds must be > 0")
    table = tier_table(rtp)
    rng = random.Random(seed)  # noqa: S311 - a seeded simulation of the tier table, not the game's draw
    names = [t.name for t in table.tiers] + [LOSE]
    hits = [0] * len(names)
    if full:
        index = {name: i for i, name in enumerate(names)}
        for nonce in range(rounds):
            server_seed = rng.randbytes(32).hex()
            outcome = play(server_seed, "sim", nonce, UP if nonce % 2 else DOWN, table.rtp)
            hits[index[outcome.tier]] += 1
    else:
        bounds, getrandbits = table.bounds, rng.getrandbits
        bits = 8 * DRAW_BYTES
        for _ in range(rounds):
            hits[bisect.bisect_right(bounds, getrandbits(bits))] += 1
    returned = sum((hits[i] * t.multiplier for i, t in enumerate(table.tiers)), Decimal(0))
    return Simulation(rounds, table.rtp, returned / rounds, dict(zip(names, hits, strict=False)))
