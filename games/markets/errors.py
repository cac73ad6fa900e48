"""The markets' refusals: domain errors with a stable, client-facing ``code``.

The kind says how the edges answer (``core/errors.py``): a rule broken by the request (``MarketError``), a
state the request conflicts with (``MarketConflict``), a limit spent for now (``CashOutLimitReached``).
"""

from __future__ import annotations

from core.errors import ApplicationError, Conflict, TooManyRequests


class MarketError(ApplicationError):
    """A market rule refused the operation; ``code`` says which (stable, client-facing)."""

    code = "market_error"


class MarketConflict(MarketError, Conflict):
    """The operation conflicts with the market's or the position's state (already cashed out, settled, ...)."""


class CashOutLimitReached(MarketError, TooManyRequests):
    """The player's cash-outs for the UTC day are spent."""
