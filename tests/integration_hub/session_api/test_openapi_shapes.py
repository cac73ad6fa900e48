"""The Session API's documented answers are named from its output serializers (integration_hub/session_api/openapi.py)."""

import pytest

from integration_hub.openapi import NDEC, STR
from integration_hub.session_api import openapi, serializers


def test_a_documented_answer_names_the_serializers_fields_in_their_order():
    shape = openapi.answer(serializers.BalanceOutput, balance=NDEC, currency=STR)
    assert shape == {
        "type": "object",
        "required": ["balance", "currency"],
        "properties": {"balance": NDEC, "currency": STR},
    }


@pytest.mark.parametrize(
    "types",
    [
        {"balance": NDEC},  # a field left out
        {"currency": STR, "balance": NDEC},  # out of order
        {"balance": NDEC, "currency": STR, "extra": STR},  # a field the serializer does not answer
    ],
)
def test_a_shape_that_drifts_from_its_serializer_fails_at_start_up(types):
    with pytest.raises(TypeError, match="BalanceOutput"):
        openapi.answer(serializers.BalanceOutput, **types)


def test_optional_fields_and_the_ones_represent_adds_come_after_the_required_ones():
    shape = openapi.answer(
        serializers.JackpotBetPlacedOutput,
        ("freeRound",),
        {"note": STR},
        transactionId=STR,
        balance=NDEC,
        freeRound=STR,
    )
    assert shape["required"] == ["transactionId", "balance"]
    assert list(shape["properties"]) == ["transactionId", "balance", "freeRound", "note"]
