#!/usr/bin/env python3
"""What the contract watch costs per wallet answer (hand-run, not CI): ``python scripts/contract_watch_cost.py``.

Times, on this machine and thread, ``contractwatch.rules.violations`` (the check of one answer against its
protocol's contract, validators built once) for typical answers of both protocols, conforming and broken, next to
what the call log already does with every answer (``wallet.calllog.bounded``: the redacted copy it stores). Pure
CPU, no database: the batch's counter statements are per batch (one per partner and minute, one per broken field),
not per answer. Prints microseconds per answer (best of 5 runs of N answers each).
"""

from __future__ import annotations

import os
import sys
import timeit
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from contractwatch import rules  # noqa: E402
from wallet.calllog import bounded  # noqa: E402

N = 20_000
CASES = {
    "igsp bet 200, conforming": ("igsp", "bet", 200, {"balance": Decimal("999.00"), "transaction_id": "w-123456"}),
    "igsp balance 200, conforming": ("igsp", "balance", 200, {"balance": Decimal("1000.00")}),
    "public_api bet 200, conforming": ("public_api", "bet", 200, {"balance": "999.00", "txID": "w-123456"}),
    "public_api bet 400, conforming": (
        "public_api",
        "bet",
        400,
        {"message": "Insufficient funds", "code": "insufficient_funds"},
    ),
    "public_api balance 200, a number": ("public_api", "balance", 200, {"balance": Decimal("12.5")}),
    "public_api bet 400, unlisted code": ("public_api", "bet", 400, {"message": "no", "code": "wallet_on_fire"}),
    "igsp bet 200, missing field": ("igsp", "bet", 200, {"balance": Decimal("999.00")}),
}


def per_answer_us(fn) -> float:
    return min(timeit.repeat(fn, number=N, repeat=5)) / N * 1e6


def main() -> None:
    for name, (protocol, kind, status, body) in CASES.items():
        rules.violations(protocol, kind, status, body)  # the validator is built once per process
        check = per_answer_us(lambda: rules.violations(protocol, kind, status, body))  # noqa: B023
        copy = per_answer_us(lambda: bounded(body))  # noqa: B023
        print(f"{name:36s} check {check:6.1f} µs   (the call log's redacted copy: {copy:5.1f} µs)")


if __name__ == "__main__":
    main()
