"""The games' precision choice (pure, no Django): a partner's own decimal places, else the wallet's table.

The Decimal arithmetic the game maths uses (``quantum``, ``fits``, ``to_decimal``) is ``core/money.py``'s; the
per-currency table is the wallet's (``wallet/currency.py``, also pure).
"""

from __future__ import annotations


def precision_for(currency: str, places: int | None = None) -> int:
    """Decimal places of ``currency``: ``places`` when given (a partner's own setting), else the wallet's table."""
    if places is not None:
        return int(places)
    from wallet.currency import precision  # imported here so lmsr/fairness stay free of other apps

    return precision(currency)
