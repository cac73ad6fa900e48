"""Money is Decimal: no binary float conversions or FloatFields in games/ (the project hook checks the same)."""

from __future__ import annotations

import re
from pathlib import Path

import games


def test_games_package_has_no_float_money():
    root = Path(games.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"float\(|FloatField", line)
    ]
    assert offenders == []
