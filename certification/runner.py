"""Run the cases of one certification run against the partner's wallet, storing each result as it lands."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from decimal import Decimal

from . import cases as case_module
from .cases import Case, Context

ProgressCallback = Callable[[Case, bool, str, str, list[dict], int], None]


def execute(ctx: Context, selected: list[Case], on_result: ProgressCallback) -> tuple[Decimal | None, Decimal | None]:
    """Every selected case in order (the sequence check last); returns (start balance, end balance)."""
    ctx.baseline = ctx.read()
    ctx.model = ctx.baseline
    if ctx.baseline is None:  # nothing to certify against (unreachable, refused, unknown player): stop here
        return None, None
    ctx.exchanges = []
    ordered = [c for c in selected if c.group != "sequence"] + [c for c in selected if c.group == "sequence"]
    for item in ordered:
        ctx.exchanges = []
        started = time.perf_counter()
        try:
            passed, expected, actual = item.run(ctx)
        except Exception as exc:  # noqa: BLE001 - a case must never stop the run; the failure is the result
            passed, expected = False, "the case to complete"
            actual = f"runner error: {type(exc).__name__}: {exc}"[:500]
            traceback.print_exc()
        if item.group != "sequence":
            ctx.restore()
        ms = int((time.perf_counter() - started) * 1000)
        on_result(item, bool(passed), str(expected), str(actual), [e.as_record() for e in ctx.exchanges], ms)
    end = ctx.read()
    return ctx.baseline, end


def select(protocol: str, groups: list[str] | None) -> list[Case]:
    return case_module.cases_for(protocol, groups)
