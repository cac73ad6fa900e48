"""Session API input serializers: the game page's JSON bodies, parsed into the typed arguments of ``games/play.py``.

The game page (static/hub/igsp-init.js, markets.js, traderhero.js) reads each refusal's ``error`` code, so a
bad field answers the domain error it always did (``invalid_outcome``, ``invalid_amount``,
``invalid_direction``, ``invalid_client_seed``, …; a body that is not a JSON object: ``invalid_request``),
not DRF's generic ``invalid_request`` with a field map. The fields here raise those ``ApplicationError``\\ s
themselves, so the first bad field in declaration order is the answer (the order the checks always ran in),
rendered by ``core/api/exceptions.py`` as ``{"error", "message", "status"}``.

Money is parsed from the JSON value as the parser produced it (``core/api/parsers.py``: numbers are
``Decimal``) or from a decimal string: never through a float.

Ids the page sends (``marketId``, ``betId``) are parsed as UUIDs; one that is missing or does not parse is
``None``, an id nothing can match (the domain answers ``market_not_found`` / ``bet_not_found`` after its own
checks, as before).
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from rest_framework import serializers
from rest_framework.fields import empty

from core.errors import ApplicationError
from games.traderhero import fairness

OUTCOMES = ("YES", "NO")
DIRECTIONS = fairness.DIRECTIONS  # TraderHero's ("up", "down"), games/traderhero/fairness.py


def parse_amount(value, field: str = "amount") -> Decimal:
    """A decimal string or JSON number (parsed as Decimal): a finite, positive ``Decimal``, never a float.

    Anything else raises ``ApplicationError`` ``invalid_amount`` (a 400) naming ``field``."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise ApplicationError(f"{field}: a decimal amount is required.", code="invalid_amount")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ApplicationError(f"{field}: {value!r} is not a decimal amount.", code="invalid_amount") from None
    if not amount.is_finite() or amount <= 0:
        raise ApplicationError(f"{field}: must be a positive amount.", code="invalid_amount")
    return amount


class DomainField(serializers.Field):
    """An input field that sees every value, a missing or ``null`` one as ``None``, and refuses with a domain
    error (``ApplicationError``) rather than a DRF ``ValidationError``: its first refusal is the answer."""

    def run_validation(self, data=empty):
        return self.to_internal_value(None if data is empty else data)

    def to_representation(self, value):
        return value


class AmountField(DomainField):
    """A required positive amount (``parse_amount``)."""

    def to_internal_value(self, data) -> Decimal:
        return parse_amount(data, self.field_name)


class OptionalAmountField(DomainField):
    """A positive amount, or ``None`` when absent (or ``null``)."""

    def to_internal_value(self, data) -> Decimal | None:
        return None if data is None else parse_amount(data, self.field_name)


class MinValueField(DomainField):
    """Cash-out's floor: the previewed ``cashOutValue`` the player accepted; absent or empty (``""``, ``0``,
    ``null``) is no floor."""

    def to_internal_value(self, data) -> Decimal | None:
        return parse_amount(data, self.field_name) if data else None


class OutcomeField(DomainField):
    """``YES`` or ``NO``, any case."""

    def to_internal_value(self, data) -> str:
        outcome = str(data or "").upper()
        if outcome not in OUTCOMES:
            raise ApplicationError('outcome: must be "YES" or "NO".', code="invalid_outcome")
        return outcome


class DirectionField(DomainField):
    """``up`` or ``down``, any case."""

    def to_internal_value(self, data) -> str:
        direction = str(data or "").lower()
        if direction not in DIRECTIONS:
            raise ApplicationError('direction: must be "up" or "down".', code="invalid_direction")
        return direction


class ClientSeedField(DomainField):
    """The player's part of a provably fair round: 1–64 characters, or ``None`` (the hub picks one)."""

    def to_internal_value(self, data) -> str | None:
        if data is not None and (not isinstance(data, str) or not 0 < len(data) <= 64):
            raise ApplicationError("clientSeed: 1–64 characters.", code="invalid_client_seed")
        return data


class LookupIdField(DomainField):
    """A UUID to look up, or ``None`` when missing or not a UUID (an id that matches nothing)."""

    def to_internal_value(self, data) -> uuid.UUID | None:
        if data is None:
            return None
        try:
            return uuid.UUID(str(data))
        except (ValueError, TypeError, AttributeError):
            return None


class SessionApiInput(serializers.Serializer):
    """A Session API body: a JSON object (anything else is ``invalid_request``, "The body must be a JSON
    object.")."""

    def run_validation(self, data=empty):
        if not isinstance(data, dict):
            raise ApplicationError("The body must be a JSON object.")
        return super().run_validation(data)


class MarketBetInput(SessionApiInput):
    """``POST …/bet`` in prediction markets → ``play.bet_market(market_id=, outcome=, amount=)``."""

    outcome = OutcomeField()
    amount = AmountField()
    marketId = LookupIdField(source="market_id")  # noqa: N815 - the wire's name


class JackpotBetInput(SessionApiInput):
    """``POST …/bet`` in TraderHero → ``play.bet_jackpot(direction=, amount=, client_seed=)``; ``amount`` may be
    absent in a free round (the bet line's stake is played)."""

    direction = DirectionField()
    amount = OptionalAmountField()
    clientSeed = ClientSeedField(source="client_seed")  # noqa: N815 - the wire's name


class CashOutPreviewInput(SessionApiInput):
    """``POST …/cash-out/preview`` → ``play.cash_out_preview(bet_id=)``."""

    betId = LookupIdField(source="bet_id")  # noqa: N815 - the wire's name


class CashOutInput(CashOutPreviewInput):
    """``POST …/cash-out`` → ``play.cash_out(bet_id=, min_value=)``."""

    minValue = MinValueField(source="min_value")  # noqa: N815 - the wire's name
