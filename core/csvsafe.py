"""CSV cells a spreadsheet will not run as formulas (CSV injection).

Every CSV the hub writes goes through :func:`writer`. A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with ``'`` (OWASP's advice), so partner-supplied text such as an ``error_code`` of
``=HYPERLINK(…)`` is shown, not evaluated. Numbers stay numbers: ``-5.00`` is written as it is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def cell(value: Any) -> Any:
    """``value`` safe to open in a spreadsheet (non-text values are returned unchanged)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: Any, **kwargs: Any) -> _SafeWriter:
    """``csv.writer(out, **kwargs)`` whose cells go through :func:`cell`."""
    return _SafeWriter(out, **kwargs)
