"""How a partner's inbound IP allowlist is shown at onboarding, and the warning when it is empty.

An empty allowlist accepts signed requests from any address; with HUB_WARN_EMPTY_IP_ALLOWLIST (on by
default in production) every onboarding path says so: the keys page, the partner page, the registration
API and the onboard_partner command.
"""

from __future__ import annotations

from django.conf import settings

ANY_ADDRESS = "any address"
EMPTY_WARNING = (
    "No inbound IP allowlist: requests signed with this partner's keys are accepted from any address. "
    "Add the partner's server addresses (CIDRs) to its inbound IP allowlist."
)


def describe(allowlist: list[str] | None) -> str:
    return ", ".join(allowlist) if allowlist else ANY_ADDRESS


def warning(allowlist: list[str] | None) -> str:
    """The warning to show for this allowlist, or "" when there is nothing to warn about."""
    return EMPTY_WARNING if settings.HUB_WARN_EMPTY_IP_ALLOWLIST and not allowlist else ""
