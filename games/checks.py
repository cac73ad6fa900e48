"""System checks (``manage.py check``) for the games settings whose shape code relies on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def stake_limits_have_a_fallback(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """HUB_MARKET_STAKE_LIMITS must hold a ``"*"`` entry: the limits of every currency it does not name."""
    limits = settings.HUB_MARKET_STAKE_LIMITS
    if isinstance(limits, dict) and "*" in limits:
        return []
    return [
        checks.Error(
            'HUB_MARKET_STAKE_LIMITS has no "*" entry (the (min, max) stake of every currency it does not name).',
            hint='Add "*": (min, max) to the table.',
            id="games.E001",
        )
    ]
