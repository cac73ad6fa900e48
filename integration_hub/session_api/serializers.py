"""Session API serializers: in, the game page's JSON bodies parsed into the typed arguments of ``games/services.py``;
out (below), its domain results shaped for the wire.

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
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField, empty, get_attribute

from core.errors import ApplicationError
from games.models import JackpotRound, JackpotRoundStatus
from games.traderhero import fairness
from wallet import currency as money

OUTCOMES = ("YES", "NO")
DIRECTIONS = fairness.DIRECTIONS  # TraderHero's ("up", "down"), games/traderhero/fairness.py


def parse_amount(value: Any, field: str = "amount") -> Decimal:
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

    def run_validation(self, data: Any = empty) -> Any:
        return self.to_internal_value(None if data is empty else data)

    def to_representation(self, value: Any) -> Any:
        return value


class AmountField(DomainField):
    """A required positive amount (``parse_amount``)."""

    def to_internal_value(self, data: Any) -> Decimal:
        return parse_amount(data, str(self.field_name))


class OptionalAmountField(DomainField):
    """A positive amount, or ``None`` when absent (or ``null``)."""

    def to_internal_value(self, data: Any) -> Decimal | None:
        return None if data is None else parse_amount(data, str(self.field_name))


class MinValueField(DomainField):
    """Cash-out's floor: the previewed ``cashOutValue`` the player accepted; absent or empty (``""``, ``0``,
    ``null``) is no floor."""

    def to_internal_value(self, data: Any) -> Decimal | None:
        return parse_amount(data, str(self.field_name)) if data else None


class OutcomeField(DomainField):
    """``YES`` or ``NO``, any case."""

    def to_internal_value(self, data: Any) -> str:
        outcome = str(data or "").upper()
        if outcome not in OUTCOMES:
            raise ApplicationError('outcome: must be "YES" or "NO".', code="invalid_outcome")
        return outcome


class DirectionField(DomainField):
    """``up`` or ``down``, any case."""

    def to_internal_value(self, data: Any) -> str:
        direction = str(data or "").lower()
        if direction not in DIRECTIONS:
            raise ApplicationError('direction: must be "up" or "down".', code="invalid_direction")
        return direction


class ClientSeedField(DomainField):
    """The player's part of a provably fair round: 1–64 characters, or ``None`` (the hub picks one)."""

    def to_internal_value(self, data: Any) -> str | None:
        if data is not None and (not isinstance(data, str) or not 0 < len(data) <= 64):
            raise ApplicationError("clientSeed: 1–64 characters.", code="invalid_client_seed")
        return data


class LookupIdField(DomainField):
    """A UUID to look up, or ``None`` when missing or not a UUID (an id that matches nothing)."""

    def to_internal_value(self, data: Any) -> uuid.UUID | None:
        if data is None:
            return None
        try:
            return uuid.UUID(str(data))
        except (ValueError, TypeError, AttributeError):
            return None


class SessionApiInput(serializers.Serializer):
    """A Session API body: a JSON object (anything else is ``invalid_request``, "The body must be a JSON
    object.")."""

    def run_validation(self, data: Any = empty) -> Any:
        if not isinstance(data, dict):
            raise ApplicationError("The body must be a JSON object.")
        return super().run_validation(data)

    @classmethod
    def parse(cls, data: Any) -> dict[str, Any]:
        """What ``is_valid`` then ``validated_data`` give (the first refusal raised as ``ApplicationError``), from
        fields bound once per class instead of deep-copied per request. Every field is a ``DomainField``: it sees
        each value (absent as ``None``) and refuses with a domain error, so there is nothing to collect."""
        if not isinstance(data, dict):
            raise ApplicationError("The body must be a JSON object.")
        fields = cls.__dict__.get("_parse_plan") or cls._bind_inputs()
        return {source: field.run_validation(data.get(name, empty)) for name, source, field in fields}

    @classmethod
    def _bind_inputs(cls) -> list[tuple[str, str, DomainField]]:
        plan = []
        for name, field in cls().fields.items():
            if not isinstance(field, DomainField) or len(field.source_attrs) != 1:
                raise TypeError(f"{cls.__name__}.{name}: {type(field).__name__} is not a Session API input field")
            plan.append((name, field.source, field))
        cls._parse_plan = plan  # type: ignore[attr-defined]  # racing threads bind the same plan
        return plan


class MarketBetInput(SessionApiInput):
    """``POST …/bet`` in prediction markets → ``play.bet_market(market_id=, outcome=, amount=)``."""

    outcome = OutcomeField()
    amount = AmountField()
    marketId = LookupIdField(source="market_id")


class JackpotBetInput(SessionApiInput):
    """``POST …/bet`` in TraderHero → ``play.bet_jackpot(direction=, amount=, client_seed=)``; ``amount`` may be
    absent in a free round (the bet line's stake is played)."""

    direction = DirectionField()
    amount = OptionalAmountField()
    clientSeed = ClientSeedField(source="client_seed")


class CashOutPreviewInput(SessionApiInput):
    """``POST …/cash-out/preview`` → ``play.cash_out_preview(bet_id=)``."""

    betId = LookupIdField(source="bet_id")


class CashOutInput(CashOutPreviewInput):
    """``POST …/cash-out`` → ``play.cash_out(bet_id=, min_value=)``."""

    minValue = MinValueField(source="min_value")


# ------------------------------------------------------------------ output --
# The answers: ``games/services.py``'s domain results shaped for the wire, in the shapes
# ``integration_hub/session_api/openapi.py`` documents (it checks their field names against these). Money is a
# decimal string at the currency's precision (the object's own currency, or the session's: ``context["currency"]``),
# numbers that are not money (prices, shares, odds, rtp) are decimal strings as they are, ids are strings, times
# are UTC ISO 8601 with a ``Z``.


class Output(serializers.Serializer):
    """An answer's serializer: DRF's declared fields, bound once per class instead of once per answer.

    DRF deep-copies and binds every declared field each time it builds a serializer, a visible share of a web
    worker's CPU on the bet paths (docs/performance.md). The fields of an
    answer only read the object and the context, so each class binds its fields on first use and every answer
    reads them: ``Output.represent(obj, context)`` (what ``.data`` returns; the views call it directly). What a
    field needs from its serializer, the context, is passed in (``ContextField.represent``), so the shared
    fields keep no per-answer state. A class customises its answer by overriding ``represent`` (it is used for
    nested answers too). A field of any other kind is refused when the class is first used (``TypeError``).
    """

    PLAIN = (serializers.CharField, serializers.ReadOnlyField)  # str(value) / the value: no state, no context

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return self.represent(instance, self._context)

    @classmethod
    def represent(cls, instance: Any, context: dict[str, Any]) -> dict[str, Any]:
        plan = cls.__dict__.get("_plan") or cls._bind()
        data: dict[str, Any] = {}
        for name, field, nested, many in plan:
            try:
                if isinstance(field, ContextField):
                    data[name] = field.represent(instance, context)
                    continue
                value = field.get_attribute(instance)
            except SkipField:
                continue
            if value is None:
                data[name] = None
            elif nested is None:
                data[name] = field.to_representation(value)
            elif many:
                items = value.all() if isinstance(value, models.manager.BaseManager) else value
                data[name] = [nested.represent(item, context) for item in items]
            else:
                data[name] = nested.represent(value, context)
        return data

    @classmethod
    def _bind(cls) -> list[tuple[str, serializers.Field, type[Output] | None, bool]]:
        plan: list[tuple[str, serializers.Field, type[Output] | None, bool]] = []
        for name, field in cls(context={}).fields.items():  # bound as DRF binds them (source, source_attrs)
            if field.write_only:
                continue
            child = field.child if isinstance(field, serializers.ListSerializer) else field
            if isinstance(child, Output):
                plan.append((name, field, type(child), child is not field))
            elif isinstance(field, (ContextField, Timestamp, *cls.PLAIN)):
                plan.append((name, field, None, False))
            else:
                raise TypeError(f"{cls.__name__}.{name}: {type(field).__name__} is not an answer's field")
        cls._plan = plan  # type: ignore[attr-defined]  # racing threads bind the same plan: either one is kept
        return plan


class ContextField(serializers.Field):
    """A read-only answer field that reads the context: ``represent(obj, context)`` is its value in ``obj``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def represent(self, instance: Any, context: dict[str, Any]) -> Any:
        raise NotImplementedError

    def to_representation(self, value: Any) -> Any:  # DRF's own path (a plain Serializer nesting this field)
        raise NotImplementedError("an answer's field: Output.represent renders it")


class Money(ContextField):
    """A money amount as a decimal string at its currency's precision (``None`` stays ``null``).

    ``currency`` names the attribute (dotted) of the serialized object that holds the currency; without it
    the session's currency (``context["currency"]``) is used."""

    def __init__(self, *, currency: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.currency_path = currency.split(".") if currency else None

    def represent(self, instance: Any, context: dict[str, Any]) -> str | None:
        amount = self.get_attribute(instance)
        if amount is None:
            return None
        currency = get_attribute(instance, self.currency_path) if self.currency_path else context["currency"]
        return money.money_str(amount, currency) if currency else str(amount)


class Text(serializers.CharField):
    """``str()`` of the value (ids, decimals that are not money); ``None`` stays ``null``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)


class Timestamp(serializers.Field):
    """A UTC datetime as ISO 8601 with ``Z`` (``2026-01-02T03:04:05.678901Z``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: datetime) -> str:
        return value.isoformat().replace("+00:00", "Z")


class SessionCurrency(ContextField):
    """The session's currency code (``context["currency"]``), whatever the object."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def represent(self, instance: Any, context: dict[str, Any]) -> str:
        return context["currency"]


Raw = serializers.ReadOnlyField  # the value as it is (str, int, bool, list, dict, a choice's value)


class OrNull(serializers.ReadOnlyField):
    """The value, or ``null`` when it is empty (``""``)."""

    def to_representation(self, value: Any) -> Any:
        return value or None


class OptionalFieldsOutput(Output):
    """Leaves out the fields named in ``Meta.optional`` whose domain value is ``None``."""

    class Meta:
        optional: tuple[str, ...] = ()

    @classmethod
    def represent(cls, instance: Any, context: dict[str, Any]) -> dict[str, Any]:
        data = super().represent(instance, context)
        for name in cls.Meta.optional:
            if data.get(name) is None:
                data.pop(name, None)
        return data


class MarketOutput(Output):
    """``play.MarketQuote``: a market with the prices of the player's book."""

    id = Text(source="market.pk")
    title = Raw(source="market.title")
    yesPrice = Text(source="yes_price")
    noPrice = Text(source="no_price")
    status = Raw(source="market.status")
    closeAt = Timestamp(source="market.close_at")
    outcome = Raw(source="market.outcome")


class PositionOutput(Output):
    """``play.PositionQuote``: a prediction-market bet and its cash-out value now."""

    betId = Text(source="position.pk")
    marketId = Text(source="position.market_id")
    outcome = Raw(source="position.outcome")
    stake = Money(source="position.stake", currency="position.currency")
    shares = Text(source="position.shares")
    status = Raw(source="position.status")
    payout = Money(source="position.payout", currency="position.currency")
    cashOutValue = Money(source="cash_out_value", currency="position.currency")
    roundId = Text(source="position.round_id")


class JackpotRoundOutput(Output):
    """A TraderHero round; the seed, payout and path only once it is settled."""

    SETTLED_ONLY = ("serverSeed", "payout", "tier", "multiplier", "path")

    betId = Text(source="pk")
    roundId = Text(source="round_id")
    direction = Raw()
    stake = Money(currency="currency")
    status = Raw()
    serverSeedHash = Raw(source="server_seed_hash")
    clientSeed = Raw(source="client_seed")
    nonce = Raw()
    rtp = Text()
    settleAt = Timestamp(source="settle_at")
    serverSeed = Raw(source="server_seed")
    payout = Money(currency="currency")
    tier = Raw()
    multiplier = Text()
    path = Raw()

    @classmethod
    def represent(cls, instance: JackpotRound, context: dict[str, Any]) -> dict[str, Any]:
        data = super().represent(instance, context)
        if instance.status != JackpotRoundStatus.SETTLED:
            for name in cls.SETTLED_ONLY:
                del data[name]
        return data


class JackpotConfigOutput(Output):
    rtp = Text()
    table = Raw()
    roundSeconds = Raw(source="round_seconds")
    minStake = Money(source="min_stake")
    maxStake = Money(source="max_stake")
    directions = Raw()
    algorithm = Raw()


class StakeLimitsOutput(Output):
    minStake = Money(source="min_stake")
    maxStake = Money(source="max_stake")
    cashOutsPerDay = Raw(source="cash_outs_per_day")
    margin = Text()


class SessionInfoOutput(Output):
    id = Text(source="pk")
    status = Raw()
    protocol = Raw()
    isDemo = Raw(source="is_demo")
    device = Raw()
    language = Raw()
    returnUrl = OrNull(source="return_url")
    depositUrl = OrNull(source="deposit_url")
    expiresAt = Timestamp(source="expires_at")


class PlayerOutput(Output):
    id = Raw(source="player_id")
    name = Raw(source="player_name")


class GameOutput(Output):
    id = Text(source="pk")
    slug = Raw()
    name = Raw()
    rtp = Text()


class SessionStateOutput(OptionalFieldsOutput):
    """``play.SessionState`` (``GET …/state``): markets, positions and limits, or the jackpot and its rounds."""

    class Meta:
        optional = ("markets", "positions", "limits", "jackpot", "rounds")

    session = SessionInfoOutput()
    player = PlayerOutput(source="session")
    currency = Raw(source="session.currency")
    balance = Money()
    balanceStale = Raw(source="balance_stale")
    game = GameOutput()
    config = Raw()
    markets = MarketOutput(many=True, allow_null=True)
    positions = PositionOutput(many=True, allow_null=True)
    limits = StakeLimitsOutput(allow_null=True)
    jackpot = JackpotConfigOutput(allow_null=True)
    rounds = JackpotRoundOutput(many=True, allow_null=True)

    @classmethod
    def represent(cls, instance: Any, context: dict[str, Any]) -> dict[str, Any]:
        data = super().represent(instance, context)
        if "jackpot" in data:  # TraderHero: the free rounds left (null without a campaign), after the jackpot
            ordered: dict[str, Any] = {}
            for key, value in data.items():
                ordered[key] = value
                if key == "jackpot":
                    ordered["freeRounds"] = instance.free_rounds
            data = ordered
        return data


class BalanceOutput(Output):
    """``GET …/balance``: ``{"balance", "currency"}`` (the instance is the balance, a ``Decimal``)."""

    balance = Money(source="*")
    currency = SessionCurrency()


class MarketBetPlacedOutput(Output):
    """``play.MarketBetPlaced`` (``POST …/bet`` in prediction markets)."""

    betId = Text(source="position.pk")
    marketId = Text(source="market.market.pk")
    outcome = Raw()
    amount = Money()
    shares = Text(source="position.shares")
    transactionId = Text(source="bet.transaction.pk")
    roundId = Text(source="bet.round.pk")
    balance = Money(source="bet.balance")
    market = MarketOutput()


class JackpotBetPlacedOutput(Output):
    """``play.JackpotBetPlaced`` (``POST …/bet`` in TraderHero): the round, then the bet's own fields."""

    transactionId = Text(source="bet.transaction.pk")
    balance = Money()
    freeRound = Raw(source="free_round")

    @classmethod
    def represent(cls, instance: Any, context: dict[str, Any]) -> dict[str, Any]:
        return {**JackpotRoundOutput.represent(instance.round, context), **super().represent(instance, context)}


class CashOutPreviewOutput(Output):
    """``play.CashOutPreview`` (``POST …/cash-out/preview``)."""

    betId = Text(source="position.pk")
    cashOutValue = Money(source="cash_out_value")
    margin = Text()
    originalStake = Money(source="original_stake")
    currentOdds = Text(source="current_odds")
    currentPrice = Text(source="current_price")
    shares = Text()
    currency = SessionCurrency()


class CashedOutOutput(Output):
    """``play.CashedOut`` (``POST …/cash-out``)."""

    betId = Text(source="position.pk")
    cashOutValue = Money(source="position.cash_out_value")
    transactionId = Text(source="win.pk")
    status = Raw(source="position.status")
    delivery = Raw(source="win.status")
    balance = Money()
