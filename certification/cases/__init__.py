"""The certification cases: what a partner's wallet must do, one check each, with a one-line fix.

One module per group (``signature.py`` … ``sequence.py``), imported here; the cases run group by group in the
order of ``GROUPS``, each group's in the order its module declares them. The machinery (``Case``, ``Context``, the
shared checks) is in ``base.py``. A case gets a ``Context`` and returns ``(passed, expected, actual)``; most read
the balance, act, read it again (``Context.watch``) and put back what a wallet moved where it should not have.
"""

from __future__ import annotations

from . import (  # noqa: F401  (each registers its group's cases)
    balance,
    bet,
    currency,
    free_rounds,
    funds,
    idempotency,
    large,
    precision,
    refund,
    sequence,
    signature,
    timing,
    unicode,
    unknown,
    win,
)
from .base import BOTH, CASES, GROUPS, IGSP, PUBLIC, Case, Context, Result, cases_for, show

CASES.sort(key=lambda item: GROUPS.index(item.group))  # stable: a group keeps its module's order

__all__ = ["BOTH", "CASES", "GROUPS", "IGSP", "PUBLIC", "Case", "Context", "Result", "cases_for", "show"]
