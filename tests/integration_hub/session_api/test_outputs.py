"""The Session API's answers (``integration_hub/session_api/serializers.py``, ``Output``): each class binds its
fields once, and an answer copies none of them (DRF deep-copied every declared field for every answer)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework import fields as drf_fields

from games.models import JackpotRound
from games.services import JackpotBetPlaced
from integration_hub.session_api import serializers
from wallet.models import GameSession, Round, Transaction
from wallet.services import BetResult


def _outputs(cls=serializers.Output):
    for sub in cls.__subclasses__():
        yield sub
        yield from _outputs(sub)


def _placed(status="open") -> JackpotBetPlaced:
    jr = JackpotRound(
        id=uuid.uuid4(),
        round_id=uuid.uuid4(),
        direction="up",
        stake=Decimal("1.5"),
        currency="EUR",
        status=status,
        server_seed_hash="ab" * 32,
        client_seed="c",
        nonce=3,
        rtp=Decimal("0.96"),
        settle_at=timezone.now(),
        server_seed="seed",
        payout=Decimal("0"),
        tier="none",
        multiplier=Decimal("0"),
        path=[1, 2],
    )
    bet = BetResult(round=Round(id=uuid.uuid4()), transaction=Transaction(id=uuid.uuid4()), balance=Decimal("10"))
    return JackpotBetPlaced(round=jr, bet=bet, balance=Decimal("10"), free_round=False)


@pytest.mark.parametrize("output", sorted(_outputs(), key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_every_answer_binds_its_fields(output):
    plan = output._bind()
    assert [name for name, *_ in plan] == [n for n, f in output(context={}).fields.items() if not f.write_only]


def test_an_answer_copies_no_field_once_its_class_is_bound():
    placed = _placed()
    context = {"currency": "EUR"}
    first = serializers.JackpotBetPlacedOutput(placed, context=context).data
    with mock.patch.object(drf_fields.Field, "__deepcopy__", autospec=True, side_effect=AssertionError("copied")):
        again = serializers.JackpotBetPlacedOutput(placed, context=context).data
    assert again == first
    assert (
        first["stake"] == "1.50"
        and first["balance"] == "10.00"
        and first["transactionId"] == str(placed.bet.transaction.pk)
    )
    assert "serverSeed" not in first  # an open round hides its seed and outcome


def test_a_settled_round_shows_its_seed_and_empty_links_are_null():
    settled = serializers.JackpotRoundOutput.represent(_placed("settled").round, {"currency": "EUR"})
    assert settled["serverSeed"] == "seed" and settled["payout"] == "0.00" and settled["path"] == [1, 2]
    session = GameSession(id=uuid.uuid4(), return_url="", deposit_url="https://casino.example/d")
    info = serializers.SessionInfoOutput.represent(session, {"currency": "EUR"})
    assert info["returnUrl"] is None and info["depositUrl"] == "https://casino.example/d"
