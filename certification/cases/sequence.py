"""The sequence case, last of a run: the balance the wallet reports is the one every answered movement adds up to."""

from __future__ import annotations

from .base import Context, Result, case


@case(
    "sequence_balances_add_up",
    "sequence",
    "Every reported balance adds up over the whole run",
    "Every movement must show in the balance exactly once: no hidden credits on repeats, no rounding, nothing lost.",
)
def sequence_balances_add_up(ctx: Context) -> Result:
    actual = ctx.read()
    if ctx.model_broken:
        return False, f"balance {ctx.model}", f"cannot follow: {ctx.model_broken}"
    passed = actual is not None and actual == ctx.model
    return passed, f"balance {ctx.model} (start {ctx.baseline} + every answered movement)", f"balance {actual}"
