"""Measure TraderHero's RTP by simulation: ``manage.py jackpot_rtp --rounds 1000000 --rtp 0.95``."""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from games.traderhero import fairness


class Command(BaseCommand):
    help = (
        "Simulate TraderHero rounds with the production payout table and print the measured RTP. "
        "Exits with an error when it misses the target by more than --tolerance."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=1_000_000)
        parser.add_argument("--rtp", default=str(fairness.DEFAULT_RTP), help="target RTP, 0.85–0.97")
        parser.add_argument("--seed", type=int, default=None, help="PRNG seed (repeatable runs)")
        parser.add_argument("--tolerance", default="0.005", help="allowed |measured − target| (default 0.005)")
        parser.add_argument(
            "--full",
            action="store_true",
            help="derive every round through HMAC-SHA256 with fresh server seeds (slower)",
        )

    def handle(self, *args, rounds, rtp, seed, tolerance, full, **opts):
        try:
            table = fairness.tier_table(Decimal(rtp))
            tolerance = Decimal(tolerance)
        except (InvalidOperation, fairness.FairnessError) as exc:
            raise CommandError(str(exc)) from exc
        if rounds <= 0:
            raise CommandError("--rounds must be > 0")
        started = time.monotonic()
        result = fairness.simulate(rounds, table.rtp, seed=seed, full=full)
        elapsed = time.monotonic() - started
        diff = result.measured - table.rtp
        self.stdout.write(f"rounds          {rounds:,} ({'full HMAC' if full else 'fast draw'}, {elapsed:.2f} s)")
        self.stdout.write(f"target RTP      {table.rtp}")
        self.stdout.write(
            f"theoretical EV  {table.rtp} (exact); integer table {self._fmt(table.discrete_expected_return())}"
        )
        self.stdout.write(f"measured RTP    {result.measured.quantize(Decimal('0.000001'))}")
        self.stdout.write(
            f"difference      {diff.quantize(Decimal('0.000001'))} "
            f"({(diff / result.tolerance_sigma).quantize(Decimal('0.01'))} standard errors, "
            f"1 SE = {result.tolerance_sigma.quantize(Decimal('0.000001'))})"
        )
        for tier in table.tiers:
            self.stdout.write(
                f"  {tier.name:<8} x{tier.multiplier:<6} p={self._fmt(tier.probability)}  "
                f"hits={result.counts[tier.name]:,}"
            )
        self.stdout.write(
            f"  {fairness.LOSE:<8} x0      p={self._fmt(table.lose_probability)}  hits={result.counts[fairness.LOSE]:,}"
        )
        if abs(diff) > tolerance:
            raise CommandError(f"measured RTP {result.measured} is off the target {table.rtp} by more than {tolerance}")
        self.stdout.write(self.style.SUCCESS(f"OK: within ±{tolerance} of the target"))

    @staticmethod
    def _fmt(value) -> str:
        return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("1e-12")))
